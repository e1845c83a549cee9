# make lab  : set everything up and open JupyterLab on the quickstart notebook (sandbox, no account)
# make test : set everything up and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | $(PYTHON) -c "import sys,hashlib;print(hashlib.sha1(sys.stdin.buffer.read()).hexdigest()[:12])")
LAB_PORT ?= 8888

.PHONY: lab test test-fast fuzz lint bench clean

$(BIN)/python:
	@echo "==> [1/3] Creating the virtual environment $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)

# pip's own lines (Collecting, Downloading, Installing) show as they come and go to $(VENV)/pip.log;
# its exit status is kept through the pipe in a file, since /bin/sh has no pipefail.
$(STAMP): pyproject.toml | $(BIN)/python
	@echo "==> [2/3] Installing vpnroute_widgets and its dependencies (a minute or two on a fresh clone; log: $(VENV)/pip.log)"
	@{ $(BIN)/python -m pip install --disable-pip-version-check --no-input -e '.[test,lab]' 2>&1; \
		echo $$? > $(VENV)/pip.status; } | tee $(VENV)/pip.log | grep -v "^WARNING: Location" \
		| grep -v "^Requirement already satisfied" || true
	@test "$$(cat $(VENV)/pip.status)" = 0 || { echo "==> pip failed (exit $$(cat $(VENV)/pip.status)); its log:"; \
		grep -v "^WARNING: Location" $(VENV)/pip.log | tail -n 40; exit 1; }
	@echo "==> [3/3] Checking that the toolkit, ipywidgets, pandas, JupyterLab and pytest import"
	$(BIN)/python -c "import vpnroute_widgets, ipywidgets, pandas, jupyterlab, pytest"
	@rm -f $(VENV)/.installed-* $(VENV)/pip.status && touch $@
	@echo "==> Installed."

# JupyterLab on 127.0.0.1 serving notebooks/, opening the quickstart; the kernel is this venv's Python.
# Extra server options: make lab LAB_ARGS="--no-browser". Root (containers) needs --allow-root.
# JupyterLab's news and update notifications stay off: the server flags below, and the same two
# settings as admin overrides in the venv (no "Would you like to get notified about news?" toast).
LAB_ARGS ?=
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings
lab: $(STAMP)
	@mkdir -p $(LAB_SETTINGS) && echo '{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}' > $(LAB_SETTINGS)/overrides.json
	@echo "==> Starting JupyterLab on http://127.0.0.1:$(LAB_PORT) with notebooks/01_quickstart.ipynb (Ctrl+C stops it)"
	cd notebooks && ../$(BIN)/python -m jupyterlab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(LAB_PORT) \
		--ServerApp.root_dir=. --LabApp.default_url=/lab/tree/01_quickstart.ipynb \
		--LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate \
		$(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

test: $(STAMP)
	$(BIN)/ruff check vpnroute_widgets tests notebooks docs
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not browser and not notebooks and not slow" $(PYTEST_ARGS)

fuzz: $(STAMP)  ## the long generated-input run: 10,000 examples per target
	VW_HYPOTHESIS_PROFILE=long $(BIN)/python -m pytest -k fuzz $(PYTEST_ARGS)

lint: $(STAMP)  ## ruff over the package, tests, notebooks and docs; mypy over the package ([tool.mypy])
	$(BIN)/ruff check vpnroute_widgets tests notebooks docs
	$(BIN)/mypy

bench: $(STAMP)
	for f in tests/benchmarks/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
