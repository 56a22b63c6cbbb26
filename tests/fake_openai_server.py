"""A real HTTP server on 127.0.0.1 that answers like an OpenAI-compatible one, from a script.

openai 3.x sends HTTP through httpx2, which respx does not intercept (design.md), so the tests
run the real client against this server: a queue of canned responses, every request recorded.
Past the queue, `behave` sets how it answers by what a request asks: `llama_cpp_python` plays
that server's structured-output rules (issue 15), `llama_server` those of llama.cpp's own.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

# Variables through which a developer's own setup could reach the client under test.
LEAKY_VARIABLES = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "OPENAI_ADMIN_KEY",
    "OPENAI_WEBHOOK_SECRET",
    "OPENAI_LOG",
    "TASKS_AI_MODEL",
    "TASKS_AI_TIMEOUT",
)


@dataclass(frozen=True)
class Canned:
    """One scripted answer: status, headers, body, and how long to wait before sending it."""

    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),)
    delay: float = 0.0
    gap: float = 0.0  # streamed: seconds between one server-sent event and the next


@dataclass(frozen=True)
class Recorded:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any


def chat(
    content: str | None,
    *,
    finish_reason: str = "stop",
    refusal: str | None = None,
    model: str = "test-model",
) -> Canned:
    """A 200 chat completion whose single choice carries `content`."""
    message = {"role": "assistant", "content": content, "refusal": refusal}
    body = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }
    return json_body(body)


def tasks_answer(*tasks: dict[str, Any], **kwargs: Any) -> Canned:
    """A chat completion whose content is `{"tasks": [...]}`."""
    return chat(json.dumps({"tasks": list(tasks)}), **kwargs)


def proposal_answer(
    tasks: tuple[dict[str, Any], ...] = (), changes: tuple[dict[str, Any], ...] = (), **kwargs: Any
) -> Canned:
    """A chat completion whose content is `{"tasks": [...], "changes": [...]}` (issue 15)."""
    return chat(json.dumps({"tasks": list(tasks), "changes": list(changes)}), **kwargs)


def change(task_id: int, **fields: Any) -> dict[str, Any]:
    """One change as the schema has it: every field, the given ones set."""
    empty: dict[str, Any] = {"complete": False, "due": None, "due_text": None, "priority": None}
    empty |= {"add_tags": [], "remove_tags": [], "name": None, "note": None}
    return {"id": task_id, **empty, **fields}


def error(
    status: int, message: str, *, type_: str = "invalid_request_error", **headers: str
) -> Canned:
    """An OpenAI-style error body with `status`."""
    body = {"error": {"message": message, "type": type_, "param": None, "code": None}}
    extra = tuple((k.replace("_", "-"), v) for k, v in headers.items())
    return json_body(body, status=status, extra_headers=extra)


def json_body(
    body: Any, *, status: int = 200, extra_headers: tuple[tuple[str, str], ...] = ()
) -> Canned:
    """Any JSON value as the body."""
    headers = (("Content-Type", "application/json"), *extra_headers)
    return Canned(status=status, body=json.dumps(body).encode(), headers=headers)


def raw(
    body: str, *, status: int = 200, content_type: str = "text/html", delay: float = 0.0
) -> Canned:
    """A body sent as is (HTML, nothing, garbage)."""
    return Canned(status, body.encode(), (("Content-Type", content_type),), delay)


# llama-cpp-python's server (0.3) validates the body with pydantic inside its route, so a
# json_schema response_format is an exception, answered as HTTP 500 with pydantic's message.
LLAMA_CPP_PYTHON_REFUSAL = (
    "1 validation error for CreateChatCompletionRequest\nresponse_format.type\n"
    "  Input should be 'text' or 'json_object' [type=literal_error, input_value='json_schema',"
    " input_type=str]\n    For further information visit"
    " https://errors.pydantic.dev/2.11/v/literal_error"
)

Responder = Callable[["Recorded"], Canned]


def llama_cpp_python(answer: Callable[[Recorded], Canned]) -> Responder:
    """llama-cpp-python's server: json_schema is a 500; json_object (with a schema), text work."""

    def respond(request: Recorded) -> Canned:
        fmt = (request.json or {}).get("response_format") or {"type": "text"}
        if fmt.get("type") not in ("text", "json_object"):
            return error(500, LLAMA_CPP_PYTHON_REFUSAL, type_="internal_server_error")
        return answer(request)

    return respond


def llama_server(answer: Callable[[Recorded], Canned]) -> Responder:
    """llama.cpp's llama-server: json_schema, json_object with or without a schema, and text."""

    def respond(request: Recorded) -> Canned:
        fmt = (request.json or {}).get("response_format") or {"type": "text"}
        if fmt.get("type") not in ("text", "json_object", "json_schema"):
            return error(400, "response_format type must be one of text, json_object, json_schema")
        return answer(request)

    return respond


def as_events(canned: Canned) -> Canned:
    """A chat completion sent as a stream of server-sent chunks, a few characters each."""
    try:
        body = json.loads(canned.body)
        choice = body["choices"][0]
    except (ValueError, KeyError, IndexError, TypeError):
        return canned  # an error or a body that is not a completion: sent as it is
    content = choice["message"].get("content") or ""
    base = {"id": body.get("id"), "object": "chat.completion.chunk", "model": body.get("model")}
    deltas = [{"role": "assistant"}] + [
        {"content": content[i : i + 8]} for i in range(0, len(content), 8)
    ]
    refusal = choice["message"].get("refusal")
    if refusal:
        deltas.append({"refusal": refusal})
    events = [base | {"choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas]
    events.append(
        base
        | {"choices": [{"index": 0, "delta": {}, "finish_reason": choice.get("finish_reason")}]}
    )
    text = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
    headers = (("Content-Type", "text/event-stream"),)
    return Canned(canned.status, text.encode(), headers, canned.delay, canned.gap)


def schema_sent(request: Recorded) -> Any:
    """The JSON schema a request constrains the answer with, in any mode's spelling, or None."""
    fmt = (request.json or {}).get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return (fmt.get("json_schema") or {}).get("schema")
    return fmt.get("schema")


@dataclass
class FakeOpenAIServer:
    """The scripted server; `base_url` is what AIConfig.base_url should be."""

    queue: deque[Canned] = field(default_factory=deque)
    responder: Responder | None = None
    requests: list[Recorded] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _httpd: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def enqueue(self, *responses: Canned) -> None:
        with self.lock:
            self.queue.extend(responses)

    def behave(self, responder: Responder) -> None:
        """Answer every request past the queue with responder(request)."""
        self.responder = responder

    def next_response(self, request: Recorded) -> Canned:
        # An unscripted request is a test bug: answer loudly rather than hang.
        with self.lock:
            if self.queue:
                return self.queue.popleft()
        if self.responder is not None:
            return self.responder(request)
        return error(599, "fake server: no canned response left")

    def record(self, request: Recorded) -> None:
        with self.lock:
            self.requests.append(request)

    def start(self) -> None:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        # A short poll keeps shutdown (each test's teardown) quick.
        serve = functools.partial(self._httpd.serve_forever, poll_interval=0.02)
        threading.Thread(target=serve, daemon=True).start()

    def stop(self) -> None:
        self.stopping.set()  # wakes handlers sleeping in a delay
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()


def _handler_for(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self._answer()

        def do_GET(self) -> None:
            self._answer()

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length) if length else b""
            try:
                parsed: Any = json.loads(data) if data else None
            except ValueError:
                parsed = None
            headers = {k.lower(): v for k, v in self.headers.items()}
            request = Recorded(self.command, self.path, headers, parsed)
            server.record(request)
            canned = server.next_response(request)
            if isinstance(parsed, dict) and parsed.get("stream"):
                canned = as_events(canned)
            if canned.delay and server.stopping.wait(canned.delay):
                return
            try:
                self.send_response(canned.status)
                for name, value in canned.headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(canned.body)))
                self.end_headers()
                if not canned.gap:
                    self.wfile.write(canned.body)
                    return
                events = [e for e in canned.body.split(b"\n\n") if e]
                for event in events:  # a slow model: one event at a time
                    if server.stopping.wait(canned.gap):
                        return
                    self.wfile.write(event + b"\n\n")
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test); nothing to tell it

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def isolate_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Keep the developer's OPENAI_* variables, .env and proxy out; let loopback bypass proxies."""
    for name in LEAKY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.chdir(tmp_path)  # no .env in the working directory


# Named apart from its fixture name so that importing it into a test module or conftest.py and
# then asking for `openai_server` is not a redefinition (ruff F811).
@pytest.fixture(name="openai_server")
def openai_server_fixture(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> Iterator[FakeOpenAIServer]:
    """A started fake server, with the developer's own OPENAI_*/.env kept out of the test."""
    isolate_environment(monkeypatch, tmp_path)
    server = FakeOpenAIServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
