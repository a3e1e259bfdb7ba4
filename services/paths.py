"""Where the app keeps its files (platformdirs), and the shipped resources."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from platformdirs import user_data_path

APP_NAME = "BranchLedgerDesk"
APP_AUTHOR = "BranchLedger"


def resources_dir() -> Path:
    """``resources/`` from source, or inside a PyInstaller bundle."""
    base = getattr(sys, "_MEIPASS", None)
    if base:
        return Path(base) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def data_dir() -> Path:
    """User data folder; ``LEDGER_DATA_DIR`` overrides it (tests, portable installs)."""
    override = os.environ.get("LEDGER_DATA_DIR")
    path = Path(override) if override else user_data_path(APP_NAME, APP_AUTHOR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_db_path() -> Path:
    return data_dir() / "ledger.sqlite"


def font_path() -> Path:
    return resources_dir() / "fonts" / "wqy-microhei.ttc"
