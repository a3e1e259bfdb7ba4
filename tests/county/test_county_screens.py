"""The county desk driven like a clerk: the main window on a county database filled from three
generated townships' packages (one laptop awaiting enrolment, one conflict, one held package)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from python_calamine import CalamineWorkbook
from sqlalchemy import func, select

from gui import ops
from gui.county.overview_tab import COLOURS, CountyOverviewTab
from gui.county.screens import ConflictsTab, DevicesTab, PendingTab, ReceiveTab
from gui.main_window import MainWindow
from models import AuditEntry, Member, SyncConflict, SyncEnrollment, Township
from services.county.access import REFUSED_EVENT
from services.roles import Actor
from tests.county.conftest import Desk
from tests.gui.conftest import Boxes
from tests.sync.conftest import snapshot

COUNTY_TABS = ["接收", "设备登记", "冲突", "待补", "全县总览"]


def _window(qtbot: QtBot, desk: Desk) -> MainWindow:
    window = MainWindow(desk.db)
    qtbot.addWidget(window)
    return window


def _tab(window: MainWindow, title: str):  # type: ignore[no-untyped-def]
    assert window.select_tab_title(title), f"no tab {title}"
    return window.tabs.currentWidget()


def _texts(table, column: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [table.item(r, column).text() for r in range(table.rowCount())]


def test_county_database_opens_with_the_county_screens_and_no_township_entry(
    app: QApplication, qtbot: QtBot, shared_desk: Desk
) -> None:
    window = _window(qtbot, shared_desk)
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert all(t in titles for t in COUNTY_TABS)
    assert "县级接收" in window.windowTitle()
    create = {a.text(): a.isEnabled() for a in window.menus["文件"].actions()}
    assert create["新建乡镇…"] is False and create["新建支部…"] is False
    assert window.tree.topLevelItemCount() == 2  # T01 and T02 imported; T03 waits for enrolment
    window.close()


def test_township_database_has_no_county_screens(app: QApplication, qtbot: QtBot, shared_desk: Desk) -> None:
    window = MainWindow(shared_desk.t03.db)  # the township laptop that has not been enrolled
    qtbot.addWidget(window)
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert not any(t in titles for t in COUNTY_TABS)
    assert "县级接收" not in window.windowTitle()


def test_receive_imports_every_package_of_the_folder_with_one_line_each_and_writes_acks(
    app: QApplication, qtbot: QtBot, desk_unreceived: Desk
) -> None:
    desk = desk_unreceived
    window = _window(qtbot, desk)
    tab = _tab(window, "接收")
    assert isinstance(tab, ReceiveTab)
    (desk.usb / "说明.txt").write_text("不是同步包", encoding="utf-8")  # other files are left alone
    tab.folder_edit.setText(str(desk.usb))
    with qtbot.waitSignal(tab.received, timeout=120_000) as got:
        qtbot.mouseClick(tab.receive_button, Qt.MouseButton.LeftButton)
    receipt = got.args[0]
    statuses = tab.result_statuses()
    assert sorted(statuses) == ["held", "imported", "imported", "imported", "pending"]
    shown = _texts(tab.results, 2)
    assert "暂存（缺包）" in shown and "待登记" in shown and "已导入" in shown
    assert tab.progress.value() == tab.progress.maximum()
    assert "已写回执 3 份" in tab.summary.text()
    assert sorted(p.name for p in receipt.acks) == sorted(p.name for p in desk.usb.glob("*.ltack"))
    assert window.tree.topLevelItemCount() == 2  # the tree shows the townships just received


def test_receive_of_a_folder_without_packages_says_so_and_writes_nothing(
    app: QApplication, qtbot: QtBot, shared_desk: Desk, tmp_path: Path
) -> None:
    window = _window(qtbot, shared_desk)
    tab = _tab(window, "接收")
    empty = tmp_path / "empty-stick"
    empty.mkdir()
    (empty / "readme.txt").write_text("x", encoding="utf-8")
    before = snapshot(shared_desk.db)
    tab.receive(str(empty))
    qtbot.waitUntil(lambda: tab.receive_button.isEnabled(), timeout=30_000)
    ops.wait_idle()
    assert "没有同步包" in tab.summary.text()
    assert tab.results.rowCount() == 0
    assert snapshot(shared_desk.db) == before
    tab.receive("")
    assert "请先选择" in tab.summary.text()


def test_devices_lists_the_waiting_laptop_by_fingerprint_and_approval_imports_its_package(
    app: QApplication, qtbot: QtBot, desk: Desk
) -> None:
    window = _window(qtbot, desk)
    tab = _tab(window, "设备登记")
    assert isinstance(tab, DevicesTab)
    with desk.db.reader() as s:
        waiting = s.scalars(select(SyncEnrollment).where(SyncEnrollment.status == "pending")).one()
    assert waiting.township_code == "T03"
    row = _texts(tab.table, 0).index(waiting.key_id)
    assert tab.table.item(row, 2).text() == "待登记"
    assert tab.table.item(row, 3).text()  # first package time, local
    assert tab.table.item(row, 4).text() == "1"  # one package waits for it
    tab.approve()  # nothing selected yet
    assert "请先在表中选中" in tab.result.text()
    assert tab.select_fingerprint(waiting.key_id)
    qtbot.mouseClick(tab.approve_button, Qt.MouseButton.LeftButton)
    assert "已登记" in tab.result.text() and "[已导入]" in tab.result.text()
    row = _texts(tab.table, 0).index(waiting.key_id)
    assert tab.table.item(row, 2).text() == "已登记"
    with desk.db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Township)) == 3
        decided = s.scalars(
            select(AuditEntry.changes).where(AuditEntry.table_name == "sync_enrollment")
        ).all()
    assert any('"enrolled"' in c for c in decided)  # the approval is in the 操作日志
    assert window.tree.topLevelItemCount() == 3

    # A lost laptop: revoked after the clerk confirms; its packages are refused from then on.
    assert tab.select_fingerprint(waiting.key_id)
    qtbot.mouseClick(tab.revoke_button, Qt.MouseButton.LeftButton)
    assert "已注销" in tab.result.text()
    row = _texts(tab.table, 0).index(waiting.key_id)
    assert tab.table.item(row, 2).text() == "已注销"


def test_devices_replace_enrols_a_reinstalled_laptop_and_revokes_the_old_one(
    app: QApplication, qtbot: QtBot, desk: Desk, boxes: Boxes
) -> None:
    window = _window(qtbot, desk)
    tab = _tab(window, "设备登记")
    with desk.db.reader() as s:
        waiting = s.scalars(select(SyncEnrollment).where(SyncEnrollment.status == "pending")).one()
    assert tab.select_fingerprint(waiting.key_id)
    qtbot.mouseClick(tab.replace_button, Qt.MouseButton.LeftButton)  # T03 has no old laptop
    assert "没有已登记的旧电脑" in tab.result.text()
    # T03's laptop approved, then reinstalled: its new key's package waits, replace swaps the keys.
    tab.approve()
    old = waiting.key_id
    desk.t03.key = Ed25519PrivateKey.generate()
    desk.t03.export(desk.usb, full=True)
    receive_tab = _tab(window, "接收")
    with qtbot.waitSignal(receive_tab.received, timeout=120_000):
        receive_tab.receive(str(desk.usb))
    tab = _tab(window, "设备登记")
    tab.refresh()
    with desk.db.reader() as s:
        new = s.scalars(select(SyncEnrollment).where(SyncEnrollment.status == "pending")).one()
    assert tab.select_fingerprint(new.key_id)
    qtbot.mouseClick(tab.replace_button, Qt.MouseButton.LeftButton)
    assert any("注销乡镇 T03 的旧电脑" in t for t in boxes.texts())
    assert f"已注销旧电脑 {old}" in tab.result.text()
    statuses = dict(zip(_texts(tab.table, 0), _texts(tab.table, 2), strict=True))
    assert statuses[old] == "已注销" and statuses[new.key_id] == "已登记"


def test_conflict_shows_both_versions_side_by_side_and_keeping_the_other_writes_it(
    app: QApplication, qtbot: QtBot, desk: Desk
) -> None:
    window = _window(qtbot, desk)
    tab = _tab(window, "冲突")
    assert isinstance(tab, ConflictsTab)
    assert tab.queue.rowCount() >= 1

    def phones_shown() -> set[str]:
        rows = {tab.sides.item(r, 0).text(): r for r in range(tab.sides.rowCount())}
        r = rows.get("联系电话")
        return set() if r is None else {tab.sides.item(r, 1).text(), tab.sides.item(r, 2).text()}

    # The two laptops' edits (the queue may also hold the copy's first package against the old row).
    for row in range(tab.queue.rowCount()):
        tab.queue.selectRow(row)
        if phones_shown() == {"13800000001", "13800000002"}:
            break
    v = tab.current()
    assert v is not None and v.status == "open" and v.table == "member"
    assert "phone" in tab.differing_fields()
    assert "name" not in tab.differing_fields()  # equal fields are not marked
    current, other = tab.versions.text().splitlines()
    assert "clerk" in current and "clerk" in other  # who changed each version, and when
    phones = {tab.sides.item(r, 0).text(): (tab.sides.item(r, 1).text(), tab.sides.item(r, 2).text())
              for r in range(tab.sides.rowCount())}["联系电话"]  # fmt: skip
    assert set(phones) == {"13800000001", "13800000002"}
    qtbot.mouseClick(tab.other_button, Qt.MouseButton.LeftButton)
    assert "已改用另一版本" in tab.result.text()
    with desk.db.reader() as s:
        assert s.get(Member, desk.conflict_member).phone == phones[1]
        assert s.get(SyncConflict, v.id).resolved_by  # who decided is recorded
        logged = s.scalars(select(AuditEntry).where(AuditEntry.table_name == "member", AuditEntry.row_id == desk.conflict_member)).all()  # fmt: skip
    assert logged  # the choice is an audited edit


def test_pending_names_each_townships_gap_and_what_to_ask_for(
    app: QApplication, qtbot: QtBot, shared_desk: Desk
) -> None:
    window = _window(qtbot, shared_desk)
    tab = _tab(window, "待补")
    assert isinstance(tab, PendingTab)
    rows = [[tab.table.item(r, c).text() for c in range(6)] for r in range(tab.table.rowCount())]
    t01 = next(r for r in rows if "T01" in r[0])
    assert t01[1].endswith(".ltpkg") and t01[2]  # last package received and when
    assert t01[4].startswith("第 ") and "号" in t01[4]  # the gap
    assert "请乡镇 T01" in t01[5] and "全量" in t01[5]
    t03 = next(r for r in rows if "T03" in r[0])
    assert t03[1] == "尚未收到" and "设备登记" in t03[5]
    assert re.fullmatch(r"待登记设备 [0-9a-f]{16}", t03[4])  # the signer's fingerprint, from its key
    assert t03[4].split()[1] in t03[5]
    t02 = next(r for r in rows if "T02" in r[0])
    assert t02[3] == "无" and t02[5].startswith("无需补交")
    assert "暂存待补的包 2 个" in tab.summary.text()


def test_overview_grid_stars_drilldown_and_exports(
    app: QApplication, qtbot: QtBot, shared_desk: Desk, tmp_path: Path
) -> None:
    window = _window(qtbot, shared_desk)
    tab = _tab(window, "全县总览")
    assert isinstance(tab, CountyOverviewTab)
    assert not tab.xlsx_button.isEnabled()  # nothing computed yet
    tab.year.setValue(2026)
    qtbot.mouseClick(tab.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.overview is not None, timeout=120_000)
    ov = tab.overview
    assert ov is not None
    assert [t.code for t in ov.townships] == ["T01", "T02"]
    assert tab.stars.rowCount() == 2 and tab.grid.rowCount() == len(ov.lines) > 0
    assert {tab.grid.item(r, 0).text() for r in range(tab.grid.rowCount())} == {t.name for t in ov.townships}
    for row, line in enumerate(ov.lines[:5]):
        assert tab.cell_colour(row, 1) == COLOURS[line.cells[0]]
    tab.grid.selectRow(0)
    dialog = tab.open_selected()
    assert dialog is not None
    assert dialog.findings.rowCount() == len(
        [f for f in ov.result.findings if f.branch_id == ov.lines[0].branch_id]
    )
    assert dialog.catalog.rowCount() > 0
    assert dialog.open_in_tree()
    assert window.current_branch_id() == ov.lines[0].branch_id  # its ledgers are in the tabs
    xlsx, pdf = tmp_path / "总览.xlsx", tmp_path / "总览.pdf"
    tab.export_xlsx(xlsx)
    assert ops.wait_idle()  # written on a worker: the window stays responsive meanwhile
    assert "已导出并读回校验" in tab.info.text()
    sheets = CalamineWorkbook.from_path(str(xlsx)).sheet_names
    assert sheets == ["2026年全县总览", "星级分布"]
    tab.export_pdf(pdf)
    assert ops.wait_idle()
    assert len(PdfReader(str(pdf)).pages) >= 1
    assert "已生成 PDF" in tab.info.text()
    tab.preview()
    assert ops.wait_idle()
    preview = tab.preview_dialog
    assert preview is not None and preview.isVisible() and "全县总览" in preview.windowTitle()
    preview.close()


def test_every_county_action_is_refused_for_a_viewer_and_the_attempt_is_logged(
    app: QApplication, qtbot: QtBot, desk: Desk, boxes: Boxes
) -> None:
    window = _window(qtbot, desk)
    desk.db.actor = Actor("chayue", "viewer", "查阅员")
    before = snapshot(desk.db)
    receive = _tab(window, "接收")
    receive.receive(str(desk.usb))
    qtbot.waitUntil(lambda: receive.receive_button.isEnabled(), timeout=30_000)
    ops.wait_idle()
    assert "接收同步包需要" in receive.summary.text()
    devices = _tab(window, "设备登记")
    with desk.db.reader() as s:
        fp = s.scalars(select(SyncEnrollment.key_id).where(SyncEnrollment.status == "pending")).one()
    devices.select_fingerprint(fp)
    devices.approve()
    devices.revoke()
    conflicts = _tab(window, "冲突")
    conflicts.resolve("other")
    refused = [t for t in boxes.texts() if "当前账号是“查阅”" in t]
    assert len(refused) == 3  # approve, revoke, resolve
    after = snapshot(desk.db)
    changed = {k for k in after if after[k] != before.get(k)}
    assert changed <= {"audit_log", "audit_head", "db_meta"}  # only the log of the attempts
    with desk.db.reader() as s:
        events = s.scalars(select(AuditEntry.changes).where(AuditEntry.user == "chayue")).all()
    assert sum(REFUSED_EVENT in str(e) for e in events) == 4


def test_county_screens_fit_1366x768_and_are_reached_by_keyboard(
    app: QApplication, qtbot: QtBot, shared_desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import QRect

    from gui.county.overview_tab import BranchDialog
    from gui.widgets import fit as fit
    from tests.gui.test_fit import problems

    area = QRect(0, 0, 1366, 728)  # 1366×768 less a task bar
    monkeypatch.setattr(fit, "available_geometry", lambda _w=None: QRect(area))
    window = _window(qtbot, shared_desk)
    window.show()
    QApplication.processEvents()
    for title in COUNTY_TABS:
        tab = _tab(window, title)
        QApplication.processEvents()
        assert not problems(window, area), title
        assert tab.focusProxy() is not None  # Ctrl+Tab lands in the screen's first field
    overview = window.tabs.currentWidget()
    overview.year.setValue(2026)
    overview.refresh()
    qtbot.waitUntil(lambda: overview.overview is not None, timeout=120_000)
    overview.grid.selectRow(0)
    dialog = overview.open_selected()
    assert isinstance(dialog, BranchDialog)
    QApplication.processEvents()
    assert not problems(dialog, area)
    dialog.close()
    # Every county button has a keyboard accelerator or is reached with Tab from its table.
    window.select_tab_title("接收")
    window.step_tab(1)
    assert window.tabs.tabText(window.tabs.currentIndex()) == "设备登记"


def test_township_records_are_views_at_the_county_and_an_edit_is_refused(
    app: QApplication, qtbot: QtBot, shared_desk: Desk, boxes: Boxes
) -> None:
    from dataclasses import replace

    from services import members
    from tests.county.conftest import first_member

    window = _window(qtbot, shared_desk)
    member_id = first_member(shared_desk.db)
    before = snapshot(shared_desk.db)

    def edit(s):  # type: ignore[no-untyped-def]
        m = members.get_member(s, member_id)
        return members.update_member(s, member_id, replace(members.member_input(m), phone="13700000000"))

    assert ops.run_write(window, shared_desk.db, edit) is None
    assert any("不能在县里修改" in t for t in boxes.texts())
    assert snapshot(shared_desk.db) == before


def test_conflict_merged_field_by_field_takes_only_the_ticked_fields_from_the_other_version(
    app: QApplication, qtbot: QtBot, desk: Desk
) -> None:
    window = _window(qtbot, desk)
    tab = _tab(window, "冲突")
    assert isinstance(tab, ConflictsTab)
    rows: dict[str, int] = {}
    for row in range(tab.queue.rowCount()):  # the two laptops' edits of the same member's phone
        tab.queue.selectRow(row)
        rows = {tab.sides.item(r, 0).text(): r for r in range(tab.sides.rowCount())}
        r = rows.get("联系电话")
        if r is not None and {tab.sides.item(r, 1).text(), tab.sides.item(r, 2).text()} == {
            "13800000001",
            "13800000002",
        }:
            break
    v = tab.current()
    assert v is not None and v.status == "open"
    qtbot.mouseClick(tab.merge_button, Qt.MouseButton.LeftButton)  # nothing ticked: says what to do
    assert "勾选" in tab.result.text()
    with desk.db.reader() as s:
        assert s.get(SyncConflict, v.id).status == "open"
    assert tab.sides.item(rows["姓名"], 2).data(Qt.ItemDataRole.CheckStateRole) is None  # equal: no tick
    phone_item = tab.sides.item(rows["联系电话"], 2)
    other_phone = phone_item.text()
    phone_item.setCheckState(Qt.CheckState.Checked)
    assert tab.checked_fields() == ["phone"]
    qtbot.mouseClick(tab.merge_button, Qt.MouseButton.LeftButton)
    with desk.db.reader() as s:
        row = s.get(SyncConflict, v.id)
        assert row.status in ("merged", "swapped") and row.resolved_by
        assert s.get(Member, desk.conflict_member).phone == other_phone
