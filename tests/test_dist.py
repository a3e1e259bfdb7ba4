"""The PyInstaller bundle: build it with build.spec, then run it where no Python package is visible.

One build (a few minutes on 2 cores) serves every test here; it goes to a temporary folder, so the
repository's own build/ and dist/ are left alone. Marker ``bundle``: `make test-bundle` runs these (and
.ci/run after `make test`); `make test` leaves them out.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from services import cli
from services.paths import APP_NAME
from services.version import APP_VERSION

ROOT = Path(__file__).resolve().parents[1]
# The product ships on Windows, whose Qt uses the system's ICU. The Linux bundle also carries ICU (~38 MB)
# and the X11/GLib/CUPS libraries of the build machine (~29 MB), so this is a regression budget for the
# Linux build (202 MB on 2026-11-24), not the 150 MB goal for the Windows bundle.
SIZE_BUDGET_MB = 215
STARTUP_LIMIT_S = 10.0  # the goal is 3 s; a loaded CI machine gets headroom, the figure is printed

pytestmark = [pytest.mark.slow, pytest.mark.bundle]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.fail("PyInstaller 未安装：请运行 `make test`（安装 .[dev,dist]）或 pip install -e '.[dist]'。")
    out = tmp_path_factory.mktemp("pyinstaller")
    started = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level=WARN",
            "--distpath",
            str(out / "dist"),
            "--workpath",
            str(out / "build"),
            str(ROOT / "build.spec"),
        ],
        cwd=out,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-5000:]
    print(f"\nbundle built in {time.perf_counter() - started:.0f} s")
    yield out / "dist" / APP_NAME


def clean_run(exe: Path, *args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the bundle with an empty environment: no PYTHONPATH, no venv, only what a user session has."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        ["/usr/bin/env", "-i", *(f"{k}={v}" for k, v in env.items()), str(exe), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def test_bundle_self_test_passes_without_python(bundle: Path, tmp_path: Path) -> None:
    exe = bundle / APP_NAME
    proc = clean_run(exe, "--selftest", cwd=tmp_path)
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "运行于安装包" in proc.stdout and f"资源目录 {bundle}" in proc.stdout
    assert proc.stdout.rstrip().splitlines()[-1].startswith("自检通过：")
    # Commands are discovered at run time; the frozen importer must list the same modules as the source.
    cli_line = next(line for line in proc.stdout.splitlines() if "命令行：" in line)
    assert cli_line.endswith("：" + ", ".join(cli.command_modules()))
    assert list(tmp_path.iterdir()) == []  # nothing left in the working folder


def test_bundle_reports_its_version(bundle: Path, tmp_path: Path) -> None:
    proc = clean_run(bundle / APP_NAME, "--version", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"支部台账 {APP_VERSION}"


def test_bundle_size_and_start_to_window_time(bundle: Path, tmp_path: Path) -> None:
    size_mb = folder_size(bundle) / 1e6
    exe = bundle / APP_NAME
    db = tmp_path / "ledger.sqlite"
    made = clean_run(exe, "--db", str(db), "demo", "--scale", "small", "--quiet", cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    clean_run(exe, "--db", str(db), "--startup-probe", cwd=tmp_path, timeout=120)  # warm the file cache
    started = time.perf_counter()
    probe = clean_run(exe, "--db", str(db), "--startup-probe", cwd=tmp_path, timeout=120)
    wall = time.perf_counter() - started
    print(f"\nbundle {size_mb:.1f} MB unpacked; whole probe run {wall:.2f} s ({probe.stdout.strip()})")
    assert probe.returncode == 0, probe.stdout + probe.stderr
    shown = re.search(r"主窗口已显示：自进程启动 ([\d.]+) 秒", probe.stdout)
    assert shown is not None, probe.stdout
    assert size_mb < SIZE_BUDGET_MB
    assert float(shown[1]) < STARTUP_LIMIT_S  # process start to the window's first paint


def test_bundle_leaves_out_what_the_app_does_not_use(bundle: Path) -> None:
    inside = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*")}
    for unused in ("QtQml", "QtQuick", "QtWebEngine", "Qt3D", "QtMultimedia", "QtCharts", "QtNetwork"):
        assert not [p for p in inside if unused in p], unused
    for dev_only in ("pytest", "hypothesis", "mypy", "PyInstaller", "tkinter"):
        assert not [p for p in inside if f"/{dev_only}/" in f"/{p}/"], dev_only
    assert not [p for p in inside if "libqgtk3" in p or "libgtk" in p]
    assert "_internal/resources/fonts/wqy-microhei.ttc" in inside
    assert "_internal/models/migrations/env.py" in inside
    assert not [p for p in inside if p.startswith("_internal/resources/packaging")]
    translations = [p for p in inside if "/Qt/translations/" in p]
    assert translations and all("zh_CN" in p or "_en" in p for p in translations)
