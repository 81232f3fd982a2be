# dltflow's own tasks. `make test` works on a fresh machine: it creates .venv,
# installs the project with its dev extra, and runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test test-fast test-browser fuzz run lint imports typecheck bench bench-cold bench-scale clean

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The whole suite on the JVM engine (tests/engines compares it with Sail, row for row);
# then the tests marked `sail` again with the Sail engine's session, in their own process
# (a Sail session puts the process in Spark Connect mode). CI runs this target.
test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q
	$(BIN)/python -m pytest -q --dltflow-engine sail -m sail

# The tier that needs no Spark and no subprocess (under a minute): the loop while editing.
# A test of this tier that starts Spark or a process fails here (tests/conftest.py).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m fast

# Headless Chromium from Debian for the report's real-browser test (sudo unless root).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
test-browser: $(STAMP)
	[ -x /usr/bin/chromium ] || { $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium; }
	$(BIN)/python -m pytest -q -m browser -rs tests/unit/report/test_report_page.py

# The config fuzz tests with 40x the examples of the default run (several minutes):
# every input must load or fail with a dltflow error, never a traceback.
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q tests/unit/fuzz --hypothesis-show-statistics

run: $(STAMP)
	$(BIN)/dltflow run samples/pipelines/simple.py --conf conf/simple.yml

lint: $(STAMP)
	$(BIN)/ruff check dltflow tests samples benchmarks

imports: $(STAMP)
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy dltflow

bench: $(STAMP)
	$(BIN)/python benchmarks/local_engine.py

# Cold start, each run a fresh process: hand-written PySpark, dltflow on JVM, on Sail.
bench-cold: $(STAMP)
	$(BIN)/python benchmarks/cold_start.py

# Cold runs of generated graphs of 20, 100 and 400 tables per engine: seconds per dataset.
bench-scale: $(STAMP)
	$(BIN)/python benchmarks/scale.py

clean:
	rm -rf $(VENV) .dltflow build *.egg-info
