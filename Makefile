# Two commands on a fresh machine: `make run` (set up and launch) and `make test` (set up and test).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test setup bench clean smoke

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "cnnviz needs Python >= 3.11, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/cnnviz

smoke: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m cnnviz --smoke

# A test that hangs ends the run after CNNVIZ_HANG_S seconds (tests/conftest.py); its stacks are printed here.
# The test files run on TEST_WORKERS processes (pytest-xdist, whole files per worker): ~1.35x faster on 2 cores.
# `make test TEST_WORKERS=0` runs them in one process.
TEST_WORKERS ?= 2
test: $(STAMP)
	@rm -f .pytest-hang*.log
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile) || \
	  { status=$$?; for f in .pytest-hang*.log; do if [ -s "$$f" ]; then echo "--- a test hung ($$f):"; cat "$$f"; fi; done; \
	  exit $$status; }

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

# Mutation testing of the pure core (not CI; slow): modules and tests are in pyproject.toml [tool.mutmut].
# `make mutate MUTANTS="cnnviz.core.model.shapes*"` limits the run; mutmut's results/show list the survivors.
MUTANTS ?=
.PHONY: mutate
mutate: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[mutate]"
	QT_QPA_PLATFORM=offscreen CNNVIZ_SHARED_DIR=$(abspath ..)/shared $(BIN)/mutmut run $(MUTANTS); \
	  status=$$?; $(BIN)/mutmut results; exit $$status

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache

.PHONY: bundle
bundle: $(STAMP)
	VENV=$(VENV) bash packaging/build_bundle.sh
