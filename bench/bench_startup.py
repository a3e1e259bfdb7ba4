"""Start-to-window time and bundle size: the app started on a small demo database until its main window
first paints (``--startup-probe``, offscreen), from source or from a PyInstaller bundle.

Figures per run: seconds from process start to the first paint (Linux /proc), the CPU seconds spent by
then (comparable on a busy machine), and the wall time of the whole process including shutdown.
Goals: under 3 s to the window, bundle under 150 MB unpacked.
Run: .venv/bin/python bench/bench_startup.py [--bundle dist/BranchLedgerDesk | --build] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_NAME = "BranchLedgerDesk"
PROBE = re.compile(r"自进程启动 ([\d.]+) 秒（CPU ([\d.]+) 秒）")


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def build(into: Path) -> Path:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level=WARN", "--distpath", str(into / "dist"),
         "--workpath", str(into / "build"), str(ROOT / "build.spec")],
        check=True,
    )  # fmt: skip
    print(f"build: {time.perf_counter() - started:.0f} s")
    return into / "dist" / APP_NAME


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=None, help="bundle folder (default: run from source)")
    parser.add_argument("--build", action="store_true", help="build the bundle into a temp folder first")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        work = Path(tmp)
        bundle = build(work) if args.build else args.bundle
        if bundle is not None:
            command = [str(bundle.resolve() / APP_NAME)]
            env = {"PATH": "/usr/bin:/bin", "HOME": str(work), "QT_QPA_PLATFORM": "offscreen"}
            print(f"bundle: {bundle} — {folder_mb(bundle):.1f} MB unpacked")
        else:
            command = [sys.executable, str(ROOT / "main.py")]
            env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LEDGER_DATA_DIR": str(work / "userdata")}
            print("from source")
        db = work / "ledger.sqlite"
        subprocess.run(
            [*command, "--db", str(db), "demo", "--scale", "small", "--quiet"], env=env, check=True
        )
        shown: list[float] = []
        cpu: list[float] = []
        wall: list[float] = []
        for i in range(args.runs + 1):  # the first run only warms the file cache
            started = time.perf_counter()
            proc = subprocess.run(
                [*command, "--db", str(db), "--startup-probe"],
                env=env,
                cwd=work,
                capture_output=True,
                text=True,
            )
            elapsed = time.perf_counter() - started
            match = PROBE.search(proc.stdout)
            if proc.returncode != 0 or match is None:
                print(proc.stdout, proc.stderr)
                return 1
            if i:
                shown.append(float(match[1]))
                cpu.append(float(match[2]))
                wall.append(elapsed)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(
            f"start to window: median {statistics.median(shown):.2f} s (min {min(shown):.2f}, max {max(shown):.2f})"
        )
        print(f"CPU to window:   median {statistics.median(cpu):.2f} s")
        print(f"whole process:   median {statistics.median(wall):.2f} s (includes shutdown)")
        print(f"runs: {args.runs}, load average at the end: {load:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
