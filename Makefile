# Quick start: `make demo` renders the demo reports; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint install lab clean docs

$(STAMP): pyproject.toml
	@# headless Chromium prints the PDF copies and drives the browser test (Debian package; needs root).
	@# Optional: without it the reports are still rendered as HTML and XLSX, with one warning.
	command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  command -v google-chrome >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1) || \
	  echo "note: no Chromium installed; renders skip the PDF copies and the browser tests are skipped"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,lab]"
	$(BIN)/python -m ipykernel install --sys-prefix --name foundation-eval --display-name "foundation-eval" >/dev/null
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/foundation-eval render --out reports/demo --screenshots

# JupyterLab on the report notebooks; with blank parameters they open the built-in synthetic force
lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

test: $(STAMP)
	$(BIN)/ruff check foundation_eval tests benchmarks
	$(BIN)/python -m pytest -q

docs: $(STAMP)
	$(BIN)/python -m mkdocs build --strict

clean:
	rm -rf $(VENV) reports/demo
