"""Offscreen checks of the real main window: the self-test's render step and the start-up time probe."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from gui import ops
from gui.app import FONT_FAMILY, create_app, open_or_explain
from gui.main_window import MainWindow
from gui.widgets.translations import qt_ok_text
from services.db import open_database
from services.errors import LedgerError

PROBE_TIMEOUT_MS = 60_000


def _app() -> QApplication:
    if QCoreApplication.instance() is None and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    return create_app()


def _distinct_colours(image: QImage, samples: int = 40) -> int:
    """How many different colours a grid of sample points sees; a blank grab has one or two."""
    w, h = image.width(), image.height()
    return len(
        {image.pixel(x * w // samples, y * h // samples) for x in range(samples) for y in range(samples)}
    )


def render_main_window(db_target: str, out_png: Path, branch_code: str | None = None) -> str:
    """Build the main window on ``db_target`` offscreen, check it, save a PNG; returns a one-line summary.

    Raises LedgerError when a screen failed to install, the shipped font is not in use, or the
    grab is empty or blank.
    """
    app = _app()
    if qt_ok_text() != "确定":
        raise LedgerError(
            f"Qt 的中文翻译没有加载（标准按钮显示为“{qt_ok_text()}”），请检查 translations 是否随程序提供。"
        )
    if app.font().family() != FONT_FAMILY:
        raise LedgerError(
            f"界面字体不是随程序提供的{FONT_FAMILY}（当前：{app.font().family()}），中文可能显示为方框。"
        )
    db = open_database(db_target)
    try:
        window = MainWindow(db)
        try:
            window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
            window.resize(1280, 800)
            window.show()
            if branch_code and not window.select_branch_code(branch_code):
                raise LedgerError(f"主窗口的组织树里找不到支部 {branch_code}。")
            ops.wait_idle()
            QCoreApplication.processEvents()
            if window.extension_errors:
                raise LedgerError("界面模块加载失败：" + "；".join(window.extension_errors))
            tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
            if not tabs:
                raise LedgerError("主窗口没有任何标签页。")
            image = window.grab().toImage()
            if image.isNull() or image.width() < 100 or image.height() < 100:
                raise LedgerError("主窗口截图为空。")
            colours = _distinct_colours(image)
            if colours < 4:
                raise LedgerError(f"主窗口截图几乎是空白（只有 {colours} 种颜色）。")
            out_png.parent.mkdir(parents=True, exist_ok=True)
            tmp = out_png.with_name(out_png.name + ".part.png")
            if not image.save(str(tmp)):
                raise LedgerError(f"无法写入截图文件：{out_png}")
            tmp.replace(out_png)
        finally:
            window.close()
            window.deleteLater()
            QCoreApplication.processEvents()
        return (
            f"{image.width()}×{image.height()}，{len(tabs)} 个标签页（{'、'.join(tabs)}），{colours} 种颜色"
        )
    finally:
        ops.wait_idle()
        db.close()


def seconds_since_process_start() -> float | None:
    """Wall time since this process was started (Linux /proc); None where that is not available."""
    try:
        stat = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        ticks = os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None
    # Field 22 (starttime) is the 20th after the command name; clock ticks since boot.
    return uptime - int(stat[19]) / ticks


class _FirstPaint(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.painted_at: float | None = None
        self.cpu_seconds = 0.0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self.painted_at is None:
            self.painted_at = time.perf_counter()
            self.cpu_seconds = time.process_time()  # CPU used so far: comparable on a busy machine
            QTimer.singleShot(0, QCoreApplication.quit)
        return False


def startup_probe(db_target: str) -> int:
    """Start like the real app (database, main window, show) and quit after the window's first paint.

    Prints the seconds from process start (where the OS tells) and from interpreter start to that
    paint; ``bench/startup.py`` adds the wall-clock time measured from outside.
    """
    app = _app()
    db = open_or_explain(db_target)
    if db is None:
        return 1
    try:
        window = MainWindow(db)
        watcher = _FirstPaint()
        window.installEventFilter(watcher)
        window.show()
        QTimer.singleShot(PROBE_TIMEOUT_MS, lambda: QCoreApplication.exit(2))
        code = int(app.exec())
        if code != 0 or watcher.painted_at is None:
            print(f"错误：主窗口在 {PROBE_TIMEOUT_MS // 1000} 秒内没有显示。", file=sys.stderr)
            return 1
        now = seconds_since_process_start()
        since_process = None if now is None else now - (time.perf_counter() - watcher.painted_at)
        shown = f"{since_process:.2f}" if since_process is not None else "未知"
        print(
            f"主窗口已显示：自进程启动 {shown} 秒（CPU {watcher.cpu_seconds:.2f} 秒），"
            f"界面模块 {len(window.extension_errors)} 个失败"
        )
        window.close()
        return 1 if window.extension_errors else 0
    finally:
        ops.wait_idle()
        db.close()
