# multipoint.wms: make demo | make test | make bench | make lint
# Every target sets up .venv first (Python >= 3.11, packages from PyPI).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-done

.PHONY: setup test demo bench lint clean

setup: $(STAMP)

$(STAMP): requirements-dev.txt tools/setup_venv.py wmssim/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --editable ./wmssim
	$(BIN)/python tools/setup_venv.py
	@touch $(STAMP)

# The full suite on the newest ansible-core (.venv), then unit tests and an end-to-end subset on
# each older supported ansible-core, each in its own venv under .venv/cores (tools/each_core.py).
test: setup
	$(BIN)/python -m pytest tests
	cd wmssim && ../$(BIN)/python -m pytest
	$(BIN)/python tools/each_core.py

demo: setup
	$(BIN)/python tools/demo.py

bench: setup
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	$(BIN)/python tools/bench.py

lint: setup
	$(BIN)/python -m pytest tests/static

clean:
	rm -rf $(VENV) .demo .pytest_cache
