# Quick start: `make demo` renders the demo reports; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name foundation-eval --display-name "foundation-eval" >/dev/null
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/foundation-eval render --out reports/demo

test: $(STAMP)
	$(BIN)/ruff check foundation_eval tests benchmarks
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) reports/demo
