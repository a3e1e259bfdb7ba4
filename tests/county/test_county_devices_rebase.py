"""设备登记 screen: a township laptop reinstalled without a backup is replaced and re-based, and a
revoked laptop is restored to registration on purpose."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from gui.county.screens import DevicesTab
from gui.main_window import MainWindow
from models import Branch, Member, SyncEnrollment, Township
from services.county.receive import receive_folder
from services.sync import keys
from services.sync.rebase import adopt_rebase_file
from services.sync.signing import key_id, public_raw
from tests.conftest import Builder, fresh_database
from tests.county.conftest import Desk
from tests.gui.conftest import Boxes
from tests.sync.conftest import Town


def _devices(qtbot: QtBot, desk: Desk) -> DevicesTab:
    window = MainWindow(desk.db)
    qtbot.addWidget(window)
    assert window.select_tab_title("设备登记")
    tab = window.tabs.currentWidget()
    assert isinstance(tab, DevicesTab)
    return tab


def _status(tab: DevicesTab, fp: str) -> str:
    for row in range(tab.table.rowCount()):
        if tab.table.item(row, 0).text() == fp:
            return tab.table.item(row, 2).text()
    raise AssertionError(fp)


def test_a_laptop_reinstalled_without_a_backup_is_replaced_and_gets_its_rebase_file_from_the_screen(
    app: QApplication, qtbot: QtBot, desk: Desk, boxes: Boxes, tmp_path: Path
) -> None:
    tab = _devices(qtbot, desk)
    old = key_id(public_raw(desk.t03.key))
    assert tab.select_fingerprint(old)
    tab.approve()
    with desk.db.reader() as s:
        town = s.scalars(select(Township).where(Township.code == "T03")).one()
        code = s.scalars(
            select(Branch.code).where(Branch.township_id == town.id).order_by(Branch.code)
        ).first()
    key_file = tmp_path / "county-key.json"
    keys.county_generate(key_file, db=desk.db)

    folder = tmp_path / "reinstalled"
    folder.mkdir()
    new = Town("T03", fresh_database(folder / "ledger.sqlite"), Ed25519PrivateKey.generate(), folder)
    try:
        b = Builder(new.db)
        b.township("T03", "重建")
        b.member(b.branch(str(code), "重建的支部").id, "重装后登记")
        keys.county_set(new.db, key_file)
        stick = tmp_path / "stick"
        stick.mkdir()
        new.export(stick)
        [held, *_] = receive_folder(desk.db, stick)
        assert held.status == "pending"
        fp = key_id(public_raw(new.key))
        tab.refresh()
        assert tab.select_fingerprint(fp)
        qtbot.mouseClick(tab.replace_button, Qt.MouseButton.LeftButton)  # the old laptop, by township code
        assert any("注销乡镇 T03 的旧电脑" in t for t in boxes.texts())
        assert f"sync device rebase-file {fp}" in tab.result.text()
        assert _status(tab, fp) == "已登记（待对齐）" and _status(tab, old) == "已注销"

        assert tab.select_fingerprint(fp)
        tab.write_rebase(str(stick))
        assert "已写出对齐文件" in tab.result.text()
        [rebase] = stick.glob("*.ltrebase")
        assert adopt_rebase_file(new.db, rebase, key=new.key).changed
        for f in stick.glob("*.ltpkg"):
            f.unlink()
        new.export(stick)
        [got, *_] = receive_folder(desk.db, stick)
        assert got.status == "imported", got.message
        tab.refresh()
        assert _status(tab, fp) == "已登记"
        with desk.db.reader() as s:
            assert s.scalars(select(Member).where(Member.name == "重装后登记")).one().township_id == town.id
    finally:
        new.db.close()


def test_a_revoked_laptop_is_restored_to_registration_only_after_confirming(
    app: QApplication, qtbot: QtBot, desk: Desk, boxes: Boxes
) -> None:
    tab = _devices(qtbot, desk)
    fp = key_id(public_raw(desk.t03.key))
    assert tab.select_fingerprint(fp)
    tab.reinstate()
    assert "没有注销" in tab.result.text()
    tab.approve()
    assert tab.select_fingerprint(fp)
    qtbot.mouseClick(tab.revoke_button, Qt.MouseButton.LeftButton)
    assert _status(tab, fp) == "已注销"
    boxes.answer = boxes.answer.No
    assert tab.select_fingerprint(fp)
    qtbot.mouseClick(tab.reinstate_button, Qt.MouseButton.LeftButton)
    assert _status(tab, fp) == "已注销"
    boxes.answer = boxes.answer.Yes
    assert tab.select_fingerprint(fp)
    qtbot.mouseClick(tab.reinstate_button, Qt.MouseButton.LeftButton)
    assert "已恢复登记" in tab.result.text() and _status(tab, fp) == "已登记"
    with desk.db.reader() as s:
        assert s.scalars(select(SyncEnrollment.status).where(SyncEnrollment.key_id == fp)).one() == "enrolled"
