# The newcomer's path: `make run` and `make test` each create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench reliability clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) main.py

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) bench/bench_add.py
	$(PY) bench/bench_oneshot.py
	$(PY) bench/bench_startup.py

reliability: $(STAMP)
	$(PY) -m pytest tests/reliability -q -p no:randomly --reliability-report

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
