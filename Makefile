# Two entry points for a fresh machine: `make run` and `make test`.
# Python 3.12 or newer (PySide6 6.12 on 3.11 drops references to None and aborts long GUI sessions; see
# README "Python version"). `make PY=/path/to/python3.13` picks another; .ci/find-python.sh runs each
# candidate (a pyenv shim for an unselected version is on PATH but fails) and prints the first that works.
PY ?= $(shell bash .ci/find-python.sh)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export QT_QPA_PLATFORM ?= $(if $(DISPLAY),xcb,offscreen)
# major.minor of the wanted interpreter and of the one .venv was made with; when they differ (an old 3.11
# .venv, or PY changed) the stamp is out of date and the recipe makes .venv afresh.
VERSION_OF = $(shell $(1) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
WANT_VERSION := $(call VERSION_OF,$(PY))
VENV_VERSION := $(call VERSION_OF,$(BIN)/python)

.PHONY: run test lint typecheck pytest pytest-xcb test-bundle bench dist sysdeps clean FORCE

$(STAMP): pyproject.toml $(if $(filter $(WANT_VERSION),$(VENV_VERSION)),,FORCE)
	@[ -n "$(PY)" ] || { echo "需要 Python 3.12 或更新版本（make PY=…/python3.12）" >&2; exit 1; }
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' || \
		{ echo "$(PY) 是 Python $(WANT_VERSION)：需要 3.12 或更新版本（make PY=…/python3.12）" >&2; exit 1; }
	@if [ "$(VENV_VERSION)" != "$(WANT_VERSION)" ] && [ -e $(VENV) ]; then \
		echo "recreating $(VENV): Python $(or $(VENV_VERSION),?) -> $(WANT_VERSION)"; rm -rf $(VENV); fi
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,dist]'  # dist: `make test-bundle` (tests/test_dist.py) builds the bundle
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

# pytest-xdist: one worker per core (`-n auto`; 2 on CI). `--dist loadgroup` hands tests out one by one,
# except the tests of a module with a module-scoped fixture (a county desk, fuzz databases), which
# tests/conftest.py groups on one worker so the fixture is built once. Every worker has its own
# QApplication, temporary folders, SQLite template and PostgreSQL template database (uuid-named).
# `make test PYTEST_WORKERS=0` runs in one process (a failure that only shows in parallel, a debugger).
PYTEST_WORKERS ?= auto

# As root, a throw-away PostgreSQL on 127.0.0.1 is started for the sync receiver tests (.ci/postgres.sh).
# The bundle tests (marker `bundle`, tests/test_dist.py: a real PyInstaller build, about a CPU-minute)
# are part of the suite: one worker builds and runs the bundle while the other works through the rest.
pytest: $(STAMP) sysdeps
	QT_QPA_PLATFORM=offscreen \
	LEDGER_TEST_PG_URL="$${LEDGER_TEST_PG_URL:-$$(if [ "$$(id -u)" = 0 ]; then bash .ci/postgres.sh; fi)}" \
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadgroup

# The GUI tests whose outcome the platform plugin decides (marker `display`: window geometry and fit,
# activation, focus and shortcuts, the lock over every window, fonts, screenshots) once more on the real
# X11 plugin (the one `make run` loads on a desktop) under a virtual 1366x768 display, so missing xcb
# libraries or an xcb-only difference fail CI instead of a clerk's first start. The other GUI tests feed
# events straight to widgets and read models, which no plugin changes: `pytest` runs them (offscreen).
# One process: activation and focus are per X server, so two workers on one display would steal focus.
pytest-xcb: $(STAMP) sysdeps
	QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1366x768x24" $(BIN)/pytest -q -p no:cacheprovider -m "display and not slow" tests/gui

test: lint typecheck pytest pytest-xcb

# The PyInstaller bundle (tests/test_dist.py, marker `bundle`): built from build.spec into a temporary
# folder and run with `env -i` — self-test, version, size, start-to-window time, what it leaves out.
# `make test` runs them with the rest; this runs them alone, after a change to build.spec,
# resources/packaging/ or the dependencies.
test-bundle: $(STAMP) sysdeps
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -q -p no:cacheprovider -m bundle tests/test_dist.py

bench: $(STAMP) sysdeps
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/run_all.py

# One-folder bundle in dist/BranchLedgerDesk/, checked by its own self-test (offscreen, temporary data).
dist: $(STAMP) sysdeps
	$(BIN)/pyinstaller --noconfirm --clean build.spec
	QT_QPA_PLATFORM=offscreen dist/BranchLedgerDesk/BranchLedgerDesk --selftest

clean:
	rm -rf build dist .mypy_cache .ruff_cache .pytest_cache

FORCE:
