"""The township's 数据同步 window carries the two enrolment steps a clerk is asked for: read this
laptop's fingerprint to the county, and load the county key file (asking before a different pinned
key is replaced); a wrong file is named; an unencrypted export warns that the county will refuse it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from gui import ops
from gui.app import create_app
from gui.sync.dialog import SyncDialog
from services.sync import keys
from services.sync.status import sync_status
from tests.gui.conftest import Boxes, boxes  # noqa: F401  (records message boxes)


def key_file(tmp_path: Path, name: str, *, force: bool = False) -> tuple[Path, str]:
    """A county key file as `county init --key-file` / `sync key county-generate` writes it."""
    out = tmp_path / name
    info = keys.county_generate(out, force=force)
    return out, str(info["key_id"])


def test_dialog_shows_this_laptops_fingerprint_as_the_county_reads_it(
    qapp: QApplication, qtbot: QtBot, make_town
) -> None:
    create_app()
    town = make_town("T01")
    dialog = SyncDialog(town.db)
    qtbot.addWidget(dialog)
    fingerprint = keys.device_info()["key_id"]
    assert fingerprint in dialog.key_label.text() and "县里登记本机时" in dialog.key_label.text()


def test_loading_the_county_key_file_pins_it_and_a_different_one_asks_first(
    qapp: QApplication,
    qtbot: QtBot,
    make_town,
    tmp_path: Path,
    boxes: Boxes,  # noqa: F811
) -> None:
    create_app()
    town = make_town("T01")
    dialog = SyncDialog(town.db)
    qtbot.addWidget(dialog)
    assert "县里会拒收" in dialog.status_label.text()  # not configured yet: says what happens
    first, first_id = key_file(tmp_path, "county-key.json")
    assert dialog.load_county_key(str(first)) is not None
    assert sync_status(town.db)["county_public_key_id"] == first_id
    assert first_id in dialog.status_label.text() and "已配置县级公钥" in dialog.result_label.text()
    assert not boxes.shown  # the first key is taken without a question

    second, second_id = key_file(tmp_path, "other-county.json", force=True)
    boxes.answer = QMessageBox.StandardButton.No
    assert dialog.load_county_key(str(second)) is None
    [question] = boxes.texts()
    assert first_id in question and second_id in question
    assert sync_status(town.db)["county_public_key_id"] == first_id  # declined: unchanged
    boxes.answer = QMessageBox.StandardButton.Yes
    assert dialog.load_county_key(str(second)) is not None
    assert sync_status(town.db)["county_public_key_id"] == second_id


def test_a_package_picked_as_the_county_key_or_as_an_ack_is_named_and_changes_nothing(
    qapp: QApplication,
    qtbot: QtBot,
    make_town,
    tmp_path: Path,
    boxes: Boxes,  # noqa: F811
) -> None:
    create_app()
    town = make_town("T01")
    usb = tmp_path / "usb"
    usb.mkdir()
    package = town.export(usb).path
    dialog = SyncDialog(town.db)
    qtbot.addWidget(dialog)
    assert dialog.load_county_key(str(package)) is None
    assert "是乡镇导出的同步包" in dialog.result_label.text() and "codec" not in dialog.result_label.text()
    assert sync_status(town.db)["county_public_key_id"] is None
    assert dialog.import_ack(str(package)) is None
    assert "是乡镇导出的同步包" in dialog.result_label.text() and "已损坏" not in dialog.result_label.text()


def test_an_unencrypted_export_warns_that_the_county_will_refuse_it(
    qapp: QApplication, qtbot: QtBot, make_town, tmp_path: Path
) -> None:
    create_app()
    town = make_town("T01")
    dialog = SyncDialog(town.db)
    qtbot.addWidget(dialog)
    usb = tmp_path / "usb"
    usb.mkdir()
    dialog.folder_edit.setText(str(usb))
    with qtbot.waitSignal(dialog.exported, timeout=60_000):
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
        ops.wait_idle()
    said = dialog.result_label.text()
    assert "没有加密" in said and "县里会拒收" in said and "导入县级公钥文件" in said


def test_exporting_to_a_file_instead_of_a_folder_says_what_the_file_is(
    qapp: QApplication, qtbot: QtBot, make_town, tmp_path: Path
) -> None:
    create_app()
    town = make_town("T01")
    key, _key_id = key_file(tmp_path, "county-key.json")
    dialog = SyncDialog(town.db)
    qtbot.addWidget(dialog)
    dialog.folder_edit.setText(str(key))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    said = dialog.result_label.text()
    assert "是一个文件（县级公钥文件）" in said and "不是文件夹" in said
    assert sync_status(town.db)["last_export"] is None
