"""Start-to-window time and bundle size: the app started on a small demo database until its main window
first paints (``--startup-probe``, offscreen), from source or from a PyInstaller bundle.

Figures per run: seconds from process start to the first paint (Linux /proc), the CPU seconds spent by
then (comparable on a busy machine), the wall time of the whole process including shutdown, and its
peak RSS. Baseline, alternating with the app in the same run: a bare PySide6 main window started the
same way (interpreter + QApplication + QMainWindow, quit after its first paint); the ratio app/bare is
the figure that counts on a shared machine. Measured on the small demo and on a whole township open.
From source and from the one-folder bundle (``make dist``: dist/BranchLedgerDesk; skipped with a message
when it has not been built), alternating in the same rounds, so the two compare directly.
Goals: under 1.5 s to the window from source (under 2 s from the bundle), bundle under 150 MB unpacked.
Run: .venv/bin/python bench/bench_startup.py [--bundle FOLDER | --build] [--runs 3] [--no-source]
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


BARE_WINDOW = """
import os, sys, time
from pathlib import Path
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QLabel
class Paint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            stat = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
            up = float(Path("/proc/uptime").read_text().split()[0])
            print(f"自进程启动 {up - int(stat[19]) / os.sysconf('SC_CLK_TCK'):.2f} 秒（CPU {time.process_time():.2f} 秒）")
            QTimer.singleShot(0, QCoreApplication.quit)
            self.eventFilter = lambda *a: False
        return False
app = QApplication(sys.argv[:1])
w = QMainWindow(); w.setCentralWidget(QLabel("支部台账")); w.resize(1280, 800)
f = Paint(); w.installEventFilter(f); w.show()
sys.exit(app.exec())
"""


def run_once(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, float, float] | None:
    """(seconds to first paint, CPU by then, whole-process wall seconds, peak RSS MiB) of one start."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    out, err = proc.communicate()
    elapsed = time.perf_counter() - started
    match = PROBE.search(out)
    if proc.returncode != 0 or match is None:
        print(out, err)
        return None
    peak = _peak_rss_mib(proc.pid)
    return float(match[1]), float(match[2]), elapsed, peak


_RSS: dict[int, float] = {}


def _reap_hook() -> None:
    """Popen reaps the child itself; catch its rusage through os.wait4 instead of waitpid."""
    original = os.waitpid

    def waitpid(pid: int, options: int) -> tuple[int, int]:
        if pid > 0:
            got, status, usage = os.wait4(pid, options)
            if got:
                _RSS[got] = usage.ru_maxrss / 1024
            return got, status
        return original(pid, options)

    os.waitpid = waitpid  # type: ignore[assignment]


def _peak_rss_mib(pid: int) -> float:
    return _RSS.get(pid, float("nan"))


Start = tuple[float, float, float, float]


def summary(runs: list[Start]) -> str:
    med = statistics.median
    return (
        f"start to window min {min(x[0] for x in runs):.2f} s / median {med(x[0] for x in runs):.2f} s "
        f"(CPU median {med(x[1] for x in runs):.2f} s, whole process {med(x[2] for x in runs):.2f} s, "
        f"peak RSS {max(x[3] for x in runs):.0f} MiB)"
    )


def series(label: str, starts: dict[str, tuple[list[str], dict[str, str]]], cwd: Path, runs: int) -> bool:
    """Alternating starts of each command in ``starts`` (name → command, environment; the last one is
    the bare PySide6 window), one unmeasured warm-up round; prints each one's min/median and its
    ratio to the bare window of the same round."""
    got: dict[str, list[Start]] = {name: [] for name in starts}
    for i in range(runs + 1):
        for name, (command, env) in starts.items():
            one = run_once(command, env, cwd)
            if one is None:
                print(f"{label}, {name}: the start failed (output above)")
                return False
            if i:
                got[name].append(one)
    med = statistics.median
    *apps, bare_name = starts
    bare = got[bare_name]
    print(f"{label}:")
    for name in apps:
        runs_ = got[name]
        ratios = [x[0] / y[0] for x, y in zip(runs_, bare, strict=True)]
        goal = 2.0 if name == "bundle" else 1.5
        verdict = "OK" if med(x[0] for x in runs_) < goal else "OVER"
        print(
            f"  {name}: {summary(runs_)}; ratio to the bare window min {min(ratios):.1f}× median {med(ratios):.1f}× "
            f"(CPU {med(x[1] for x in runs_) / max(med(x[1] for x in bare), 1e-3):.1f}×) "
            f"({verdict} the {goal:g} s goal)"
        )
    print(f"  {bare_name}: {summary(bare)}")
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--bundle",
        type=Path,
        default=ROOT / "dist" / APP_NAME,
        help="bundle folder (default: dist/BranchLedgerDesk, skipped when it has not been built)",
    )
    parser.add_argument("--build", action="store_true", help="build the bundle into a temp folder first")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-township", action="store_true", help="skip the whole-township start")
    parser.add_argument("--no-source", action="store_true", help="only the bundle (and the bare window)")
    args = parser.parse_args()
    _reap_hook()
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        work = Path(tmp)
        bundle: Path | None = build(work) if args.build else args.bundle
        source = [sys.executable, str(ROOT / "main.py")]
        source_env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LEDGER_DATA_DIR": str(work / "userdata")}
        starts: dict[str, tuple[list[str], dict[str, str]]] = {}
        if not args.no_source:
            starts["from source"] = (source, source_env)
        if bundle is not None and (bundle / APP_NAME).is_file():
            bundle_env = {"PATH": "/usr/bin:/bin", "HOME": str(work), "QT_QPA_PLATFORM": "offscreen"}
            starts["bundle"] = ([str(bundle.resolve() / APP_NAME)], bundle_env)
            print(f"bundle: {bundle} — {folder_mb(bundle):.1f} MB unpacked")
        else:
            print(
                f"bundle: skipped — no bundle at {bundle} (build it with `make dist`, "
                "or pass --build, or --bundle FOLDER)"
            )
        if not starts:
            return 1
        starts["bare PySide6 window"] = ([sys.executable, "-c", BARE_WINDOW], source_env)
        scales = ["small"] if args.no_township else ["small", "township"]
        for scale in scales:
            db = work / f"{scale}.sqlite"
            maker, maker_env = next(iter(starts.values()))
            subprocess.run(
                [*maker, "--db", str(db), "demo", "--scale", scale, "--quiet"], env=maker_env, check=True
            )
            probes = {
                name: (
                    [*command, "--db", str(db), "--startup-probe"]
                    if name != "bare PySide6 window"
                    else command,
                    env,
                )
                for name, (command, env) in starts.items()
            }
            if not series(f"{scale} demo", probes, work, args.runs):
                return 1
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"runs: {args.runs} alternating, load average at the end: {load:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
