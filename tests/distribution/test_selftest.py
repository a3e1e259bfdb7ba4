"""`main.py --selftest`: every step runs the real module; a missing or broken one fails loudly."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from services import selftest
from services.selftest import Step, Workspace

ROOT = Path(__file__).resolve().parents[2]


def run_steps(*steps: Step) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = selftest.run(out=out, only=list(steps))
    return code, out.getvalue().splitlines()


@pytest.mark.slow
def test_selftest_from_source_passes_every_step(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LEDGER_DATA_DIR": str(tmp_path / "real-userdata")}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--selftest"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = proc.stdout.splitlines()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    steps = [line for line in lines if line.startswith("[")]
    names = [line.split("秒  ", 1)[1].split("：", 1)[0] for line in steps]
    assert names == [s.name for s in selftest.steps(None)]
    assert all(line.startswith("[通过]") for line in steps)
    assert lines[-1].startswith(f"自检通过：{len(names)} 项全部通过")
    # The self-test works in its own temporary folder: nothing in the user's data folder or cwd.
    assert not (tmp_path / "real-userdata").exists()
    assert list(tmp_path.iterdir()) == []


def test_a_module_that_is_missing_fails_the_step_by_name() -> None:
    def needs_missing_package(ws: Workspace) -> str:
        import services_not_built  # noqa: F401

        return "不应到达"

    code, lines = run_steps(Step("旧功能", needs_missing_package))
    assert code == 1 and "旧功能：缺少模块 services_not_built（" in lines[1]

    def needs_missing_module(ws: Workspace) -> str:
        from services import no_such_feature  # type: ignore[attr-defined]  # noqa: F401

        return "不应到达"

    code, lines = run_steps(Step("新功能", needs_missing_module))
    assert code == 1
    assert lines[1].startswith("[失败]") and "新功能：缺少模块" in lines[1] and "no_such_feature" in lines[1]
    assert lines[-1].startswith("自检失败：1 项未通过（新功能）")


def test_steps_after_a_failed_prerequisite_fail_too_without_running() -> None:
    ran: list[str] = []

    def broken(ws: Workspace) -> str:
        raise selftest.SelftestFailure("读回的行数不对")

    def later(ws: Workspace) -> str:
        ran.append("later")
        return "ok"

    code, lines = run_steps(Step("第一步", broken), Step("第二步", later, needs=("第一步",)))
    assert code == 1
    assert "第一步：读回的行数不对" in lines[1]
    assert lines[2].startswith("[失败]") and "前提步骤“第一步”失败" in lines[2]
    assert ran == []


def test_unexpected_errors_name_the_exception_and_place() -> None:
    def crashes(ws: Workspace) -> str:
        return str(1 // 0)

    code, lines = run_steps(Step("计算", crashes))
    assert code == 1
    assert "计算：ZeroDivisionError: integer division or modulo by zero（test_selftest.py:" in lines[1]


def test_window_step_without_a_renderer_fails() -> None:
    code, lines = run_steps(Step("主窗口", selftest.make_window_step(None)))
    assert code == 1 and "没有提供界面渲染" in lines[1]


def test_selftest_restores_the_environment_and_removes_its_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_DATA_DIR", "/somewhere/else")
    seen: dict[str, str] = {}

    def look(ws: Workspace) -> str:
        seen["data"] = os.environ["LEDGER_DATA_DIR"]
        seen["root"] = str(ws.root)
        return "ok"

    code, _ = run_steps(Step("看看", look))
    assert code == 0
    assert seen["data"].startswith(seen["root"])
    assert os.environ["LEDGER_DATA_DIR"] == "/somewhere/else"
    assert not Path(seen["root"]).exists()


def test_generated_photo_is_a_valid_png() -> None:
    from PIL import Image

    data = selftest.png_bytes(40, 30)
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        assert img.size == (40, 30) and img.mode == "RGB"
        assert img.getpixel((0, 0)) != img.getpixel((39, 29))
