# Two entry points for a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export QT_QPA_PLATFORM ?= $(if $(DISPLAY),xcb,offscreen)

.PHONY: run test lint typecheck pytest pytest-xcb bench dist sysdeps clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,dist]'  # dist: tests/test_dist.py builds the bundle
	touch $(STAMP)

# Qt needs a few system libraries even offscreen; install them when missing and we are root.
sysdeps:
	@bash .ci/sysdeps.sh

run: $(STAMP) sysdeps
	$(BIN)/python main.py --demo-if-empty

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# As root, a throw-away PostgreSQL on 127.0.0.1 is started for the sync receiver tests (.ci/postgres.sh).
pytest: $(STAMP) sysdeps
	QT_QPA_PLATFORM=offscreen \
	LEDGER_TEST_PG_URL="$${LEDGER_TEST_PG_URL:-$$(if [ "$$(id -u)" = 0 ]; then bash .ci/postgres.sh; fi)}" \
	$(BIN)/pytest -q

# The GUI tests once more on the real X11 platform plugin (the one `make run` loads on a desktop) under
# a virtual 1366x768 display, so missing xcb libraries fail CI instead of a clerk's first start.
pytest-xcb: $(STAMP) sysdeps
	QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1366x768x24" $(BIN)/pytest -q -p no:cacheprovider tests/gui

test: lint typecheck pytest pytest-xcb

bench: $(STAMP) sysdeps
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/run_all.py

# One-folder bundle in dist/BranchLedgerDesk/, checked by its own self-test (offscreen, temporary data).
dist: $(STAMP) sysdeps
	$(BIN)/pyinstaller --noconfirm --clean build.spec
	QT_QPA_PLATFORM=offscreen dist/BranchLedgerDesk/BranchLedgerDesk --selftest

clean:
	rm -rf build dist .mypy_cache .ruff_cache .pytest_cache
