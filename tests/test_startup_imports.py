"""Start-up stays light: what the window and the command line import before they are used.

Each check runs in a fresh interpreter (``sys.modules`` of this test process already holds everything).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from services import cli
from services.db import Database, current_revision, head_revision, open_database

ROOT = Path(__file__).resolve().parent.parent
# Loaded on first use only: printing, Excel writing, sync keys, schema upgrades, pinyin phrase tables,
# password hashing.
HEAVY = (
    "reportlab",
    "openpyxl",
    "cryptography",
    "alembic",
    "pypinyin",
    "pypinyin.phrases_dict",
    "argon2",
    "PIL",
)

# Not needed to show the window either: the Excel import dialog and what it reads with, loaded when an
# import is first opened.
ON_FIRST_IMPORT = (
    "python_calamine",
    "gui.excel.import_dialog",
    "services.excel.roster_import",
    "services.excel.meeting_import",
    "services.excel.reader",
)


def _run(code: str, tmp_path: Path) -> dict[str, object]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "QT_QPA_PLATFORM": "offscreen",
        "LEDGER_DATA_DIR": str(tmp_path / "userdata"),
    }
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _loaded_heavy() -> str:
    return f"[m for m in {HEAVY!r} if m in sys.modules]"


def test_main_window_shows_on_an_up_to_date_database_without_heavy_modules(
    db: Database, tmp_path: Path
) -> None:
    from tests.conftest import Builder

    build = Builder(db)
    branch = build.branch("B01", "一村党支部")
    build.member(branch.id, "张三")
    target = str(db.path)
    db.close()
    code = f"""
import json, sys
import main
from gui.app import create_app, open_or_explain
from gui.main_window import MainWindow
from gui.screens import SCREENS
from gui import ops
app = create_app()
db = open_or_explain({target!r})
window = MainWindow(db)
window.show()
app.processEvents()
ops.wait_idle()
app.processEvents()
print(json.dumps({{"heavy": {_loaded_heavy()}, "errors": window.extension_errors,
                  "excel": [m for m in {ON_FIRST_IMPORT!r} if m in sys.modules],
                  "tabs": window.tabs.count(), "screens": len(SCREENS),
                  "titles": [window.tabs.tabText(i) for i in range(window.tabs.count())]}}))
"""
    result = _run(code, tmp_path)
    assert result["errors"] == []
    assert result["tabs"], "the window shows its tabs"
    assert result["heavy"] == [], f"imported before first use: {result['heavy']}"
    assert result["excel"] == [], f"imported before the first Excel import: {result['excel']}"
    assert "对标检查" in result["titles"]


def test_opening_the_check_tab_builds_it_on_first_use(qtbot, db: Database) -> None:  # type: ignore[no-untyped-def]
    from gui.handbook.view import HandbookView
    from gui.main_window import MainWindow

    window = MainWindow(db)
    qtbot.addWidget(window)
    assert window.extension_errors == []
    assert window.findChild(HandbookView, "handbookView") is None  # not built while another tab shows
    assert window.select_tab("对标检查")
    view = window.findChild(HandbookView, "handbookView")
    assert view is not None and view.isVisibleTo(window)
    texts = [a.text() for a in window.menus["工具"].actions()]
    assert "载入手册包…" in texts


def test_version_help_and_member_list_import_no_command_implementations(db: Database, tmp_path: Path) -> None:
    target = str(db.path)
    db.close()
    code = f"""
import contextlib, io, json, sys
import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    for argv in (["--version"], ["--help"]):
        try:
            main.main(argv)
        except SystemExit:
            pass
    after_help = [m for m in sys.modules
                  if (m.startswith("services.cli.") and m != "services.cli._parser")  # argparse only
                  or m in ("sqlalchemy", "models")]
    code = main.main(["--db", {target!r}, "member", "list"])
print(json.dumps({{"help_loaded": after_help, "code": code, "heavy": {_loaded_heavy()},
                  "cli": sorted(m for m in sys.modules if m.startswith("services.cli."))}}))
"""
    result = _run(code, tmp_path)
    assert result["help_loaded"] == [], "--version and --help open no command module nor the database layer"
    assert result["code"] == 0
    assert result["heavy"] == []
    # _ids: short record ids (a few lines, no database layer of its own)
    assert result["cli"] == [
        "services.cli._auth",
        "services.cli._ids",
        "services.cli._parser",
        "services.cli.members",
    ]


def test_help_lists_every_command_with_the_help_its_module_gives() -> None:
    """``services.cli.COMMANDS`` (what --help shows without importing) matches the modules."""
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    cli.register_every(sub)
    registered = {a.dest: a.help for a in sub._choices_actions}
    listed = {name: helptext for name, (_module, helptext) in cli.COMMANDS.items()}
    assert registered == listed
    for name, (module, _help) in cli.COMMANDS.items():
        one = argparse.ArgumentParser().add_subparsers(dest="command")
        __import__(f"services.cli.{module}", fromlist=["register"]).register(one)
        assert name in one.choices, f"{name} is registered by services.cli.{module}"


def test_a_command_runs_with_its_options_after_lazy_registration(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    import main

    target = str(db.path)
    assert main.main(["--db", target, "township", "add", "T01", "测试镇"]) == 0
    assert main.main(["--db", target, "branch", "add", "B01", "一村党支部", "--township", "T01"]) == 0
    assert main.main(["--db", target, "branch", "list"]) == 0
    assert "一村党支部" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main.main(["--db", target, "member", "list", "--no-such-option"])
    assert exc.value.code == 2
    assert "--no-such-option" in capsys.readouterr().err


def test_schema_revision_is_read_without_alembic_and_matches_it(db: Database) -> None:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from services.db import alembic_config

    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()
    with db.engine.connect() as conn:
        assert current_revision(db.engine) == MigrationContext.configure(conn).get_current_revision()


def test_a_new_database_has_no_revision_until_migrated(tmp_path: Path) -> None:
    fresh = open_database(tmp_path / "new.sqlite", migrate_now=False)
    try:
        assert current_revision(fresh.engine) is None
    finally:
        fresh.close()
