# Two entry points: `make demo` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test docs venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

MODEL := examples/models/recurrent.snnir

demo: $(STAMP)
	$(PY) examples/demo.py
	@echo; echo "== the bundled model file $(MODEL) =="
	$(VENV)/bin/snnir validate $(MODEL)
	$(VENV)/bin/snnir info $(MODEL)
	$(VENV)/bin/snnir run $(MODEL) --steps 100 --batch 4

test: $(STAMP)
	$(PY) -m pytest -n 2 -q

# the documentation site (guides and the API reference from docstrings) in site/; builds offline
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict
	@echo "open site/index.html"

clean:
	rm -rf $(VENV) out site .pytest_cache .hypothesis
