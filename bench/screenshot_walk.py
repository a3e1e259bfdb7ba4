"""Screenshot walk for review: the main screens and forms at 1366×768, as PNGs.

Run: .venv/bin/python bench/screenshot_walk.py [--db PATH] [--out DIR]
Without --db a small demo township is generated in a temporary folder. Look at every PNG: a box
instead of a Chinese character, a cut-off button or an unreadable column is a bug.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gui.app import create_app
from gui.walk import screenshot_walk
from services import demo
from services.db import open_database


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", help="an existing database (default: a generated small demo)")
    parser.add_argument("--out", default="screenshots", help="folder for the PNGs (default: ./screenshots)")
    args = parser.parse_args()
    create_app()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.db:
            os.environ.setdefault("LEDGER_DATA_DIR", tmp)
        db = open_database(args.db or Path(tmp) / "walk.sqlite")
        try:
            if not args.db:
                demo.generate(db, "small", seed=1, today=date(2026, 11, 24))
            files = screenshot_walk(db, Path(args.out))
        finally:
            db.close()
    for f in files:
        print(f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
