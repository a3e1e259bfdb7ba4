"""Start-up: the QApplication with the embedded CJK font, the database, the main window; screenshots."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLocale, Qt, QTimer
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from gui import ops
from gui.admin.actions import exit_backup
from gui.admin.login import sign_in
from gui.main_window import MainWindow
from gui.widgets import fit
from gui.widgets.translations import install_qt_translations
from services import org
from services.db import Database, open_database
from services.errors import LedgerError
from services.paths import font_path, resources_dir
from services.sync import state as sync_state

APP_TITLE = "支部台账"
FONT_FAMILY = "WenQuanYi Micro Hei"


def install_fonts(app: QGuiApplication) -> str | None:
    """Register the shipped WenQuanYi font and make it the application font.

    Without it a machine with no CJK font shows boxes instead of Chinese. Returns the family name.
    """
    if FONT_FAMILY not in QFontDatabase.families():
        font_id = QFontDatabase.addApplicationFont(str(font_path()))
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        if not families:
            return None
    font = QFont(FONT_FAMILY)
    size = app.font().pointSizeF()
    font.setPointSizeF(size if size > 0 else 10)
    # Fallbacks keep symbols the CJK font lacks from turning into boxes.
    font.setFamilies([FONT_FAMILY, "DejaVu Sans"])
    app.setFont(font)
    return FONT_FAMILY


def create_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication (reused when one exists, e.g. under pytest-qt), set up for Chinese."""
    existing = QCoreApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or sys.argv[:1])
    app.setApplicationName("BranchLedgerDesk")
    app.setApplicationDisplayName(APP_TITLE)
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    install_qt_translations(app)  # 确定/取消 instead of OK/Cancel in Qt's own dialogs
    app.setWindowIcon(QIcon(str(resources_dir() / "icons" / "app.png")))
    install_fonts(app)
    fit.install(app)  # every window and dialog comes up within the screen's available area
    return app


def _checked(db: Database) -> Database:
    """A restored or copied file starts a new sync generation (``services.sync.state``)."""
    if not db.read_only:
        sync_state.check_on_open(db)
    return db


def open_or_explain(target: str, *, offer_restore: bool = True) -> Database | None:
    """Open (and migrate) the database; on failure explain it in a dialog and return None.

    When a pre-upgrade backup is kept next to the file, the dialog offers to put it back without
    opening the failing file (``backup.replace_without_opening``) and then opens the result."""
    from services.db import EmptyDatabaseFile

    try:
        return _checked(open_database(target))
    except EmptyDatabaseFile as exc:
        answer = QMessageBox.question(
            None,
            "新建台账？",
            exc.message,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return None
        try:
            return _checked(open_database(target, create_if_empty=True))
        except LedgerError as again:
            message = again.message
    except LedgerError as exc:
        message = exc.message
    except Exception as exc:
        message = f"打开数据库时出错：{exc}"
    from services import backup
    from services.db import pre_upgrade_backup, to_url

    url = to_url(target)
    live = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    keep = pre_upgrade_backup(live) if live is not None else None
    box = QMessageBox(QMessageBox.Icon.Critical, "无法打开数据库", f"{message}\n\n数据库位置：{target}")
    restore_button = None
    if offer_restore and live is not None and keep is not None and keep.exists():
        restore_button = box.addButton("恢复升级前的备份", QMessageBox.ButtonRole.ActionRole)
    box.addButton("关闭", QMessageBox.ButtonRole.RejectRole)
    box.exec()
    if restore_button is not None and box.clickedButton() is restore_button and live and keep:
        try:
            result = backup.replace_without_opening(live, keep)
        except LedgerError as exc:
            QMessageBox.critical(None, "恢复失败", exc.message)
            return None
        QMessageBox.information(
            None, "已恢复", f"已换回升级前的备份。原数据库文件另存为：{result.safety_copy}"
        )
        return open_or_explain(target, offer_restore=False)
    return None


def has_township(db: Database) -> bool:
    nodes = ops.run_read(None, db, org.organization_tree)
    return bool(nodes)


def first_run(window: MainWindow, demo_if_empty: bool) -> None:
    """An empty database gets demo data (when asked and available) or the new-township dialog."""
    from gui.org import dialogs as org_dialogs

    if has_township(window.db):
        return
    if demo_if_empty and org_dialogs.demo_available():
        org_dialogs.run_demo(window, window.db)
        return
    # Without a township the window stays usable: 文件 → 新建乡镇 remains available.
    from gui.org.first_start import first_start

    first_start(window, window.db)


def run_gui(db_target: str, demo_if_empty: bool = False) -> int:
    app = create_app()
    db = open_or_explain(db_target)
    if db is None:
        return 1
    try:
        if sign_in(db) is None:  # first start creates the administrator, later starts log in
            return 0
        window = MainWindow(db)
        window.show()
        QTimer.singleShot(0, lambda: first_run(window, demo_if_empty))
        return int(app.exec())
    finally:
        ops.wait_idle()
        exit_backup(db)  # rolling backup on every exit (keeps the newest N)
        db.close()


def screenshot(db_target: str, out_png: str, tab: str | None = None, branch_code: str | None = None) -> int:
    """Render the main window offscreen at 1280x800 into ``out_png``."""
    if QCoreApplication.instance() is None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    create_app()
    db = open_database(db_target)
    try:
        window = MainWindow(db)
        window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        window.resize(1280, 800)
        window.show()
        if branch_code and not window.select_branch_code(branch_code):
            raise LedgerError(f"找不到代码为 {branch_code} 的支部。")
        if tab is not None and not window.select_tab(tab):
            titles = "、".join(window.tabs.tabText(i) for i in range(window.tabs.count()))
            raise LedgerError(f"没有名为“{tab}”的标签页（可选：{titles}）。")
        ops.wait_idle()
        QCoreApplication.processEvents()
        image = window.grab()
        out = Path(out_png)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".part.png")
        if not image.save(str(tmp), "PNG"):
            raise LedgerError(f"无法写入截图文件：{out}")
        tmp.replace(out)
        window.close()
        window.deleteLater()
        print(out)
        return 0
    finally:
        db.close()
