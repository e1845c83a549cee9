# make lab  : set everything up and open JupyterLab on the quickstart notebook (sandbox, no account)
# make test : set everything up and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | $(PYTHON) -c "import sys,hashlib;print(hashlib.sha1(sys.stdin.buffer.read()).hexdigest()[:12])")
LAB_PORT ?= 8888
PIP_QUIET := --quiet --disable-pip-version-check --no-input

.PHONY: lab test test-fast fuzz lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install $(PIP_QUIET) -e '.[test,lab]' > $(VENV)/pip.log 2>&1 \
		|| (grep -v "^WARNING: Location" $(VENV)/pip.log; exit 1)
	$(BIN)/python -c "import vpnroute_widgets, ipywidgets, pandas, jupyterlab, pytest"
	rm -f $(VENV)/.installed-* && touch $@

# JupyterLab on 127.0.0.1 serving notebooks/, opening the quickstart; the kernel is this venv's Python.
# Extra server options: make lab LAB_ARGS="--no-browser". Root (containers) needs --allow-root.
LAB_ARGS ?=
lab: $(STAMP)
	cd notebooks && ../$(BIN)/python -m jupyterlab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(LAB_PORT) \
		--ServerApp.root_dir=. --LabApp.default_url=/lab/tree/01_quickstart.ipynb \
		--LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate \
		$(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

test: $(STAMP)
	$(BIN)/ruff check vpnroute_widgets tests notebooks docs
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not browser and not notebooks and not slow" $(PYTEST_ARGS)

fuzz: $(STAMP)  ## the long generated-input run: 10,000 examples per target
	VW_HYPOTHESIS_PROFILE=long $(BIN)/python -m pytest -k fuzz $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check vpnroute_widgets tests notebooks docs

bench: $(STAMP)
	for f in tests/benchmarks/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
