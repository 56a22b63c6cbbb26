# The newcomer's path: `make run` and `make test` each create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint man bench reliability clean

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

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
