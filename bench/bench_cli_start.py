"""Command-line start-up: ``--version``, ``--help`` and ``member list`` (small demo) from source.

Baseline, alternating with each command in the same run: ``python -c "import PySide6.QtWidgets"`` (what
issue 22 compared against). Figures: wall seconds min / median per command, the baseline's, and the ratio.
Run: .venv/bin/python bench/bench_cli_start.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wall(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LEDGER_DATA_DIR": str(Path(tmp) / "userdata")}
        db = str(Path(tmp) / "small.sqlite")
        app = [sys.executable, str(ROOT / "main.py")]
        subprocess.run([*app, "--db", db, "demo", "--scale", "small", "--quiet"], env=env, check=True)
        bare = [sys.executable, "-c", "import PySide6.QtWidgets"]
        for label, command in (
            ("--version", [*app, "--version"]),
            ("--help", [*app, "--help"]),
            ("member list", [*app, "--db", db, "member", "list"]),
        ):
            product, base = [], []
            wall(command, env)  # warm the file cache
            for _ in range(args.runs):
                product.append(wall(command, env))
                base.append(wall(bare, env))
            ratios = [p / b for p, b in zip(product, base, strict=True)]
            print(
                f"{label:<12} min {min(product):.2f} s / median {statistics.median(product):.2f} s; "
                f"import PySide6.QtWidgets min {min(base):.2f} s / median {statistics.median(base):.2f} s; "
                f"ratio min {min(ratios):.1f}× median {statistics.median(ratios):.1f}×"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
