"""A clerk picks files from a stick that holds packages, acknowledgements, the county key file and
backups side by side, and types commands meant for the other side: each wrong pick is named by the
file's content ("是乡镇导出的同步包…") with the command it belongs to, never with English from a
decoder or SQLite; county-only commands refuse a township ledger and township steps refuse the county
database, non-zero and in Chinese; ``sync status`` on the county shows the county's side only."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

import main
from gui.main_window import MainWindow
from services.county.receive import receive as receive_usb
from services.sync import state
from tests.county.conftest import Desk, edit_phone, first_member

ENGLISH = ("codec", "file is not a database", "Traceback", "Error:", "utf-8")


def run(db: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main.main(["--db", str(db), *argv])
    out, err = capsys.readouterr()
    return code, out + err


@pytest.fixture
def stick(shared_desk: Desk, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Path]:
    """One file of each kind: a package, an acknowledgement, the county key file, a database backup."""
    key = tmp_path / "county-key.json"
    code, said = run(tmp_path / "new-county.sqlite", capsys, "county", "init", str(tmp_path / "c.sqlite"), "--key-file", str(key))  # fmt: skip
    assert code == 0 and key.exists(), said
    files = {
        "package": sorted(shared_desk.usb.glob("*.ltpkg"))[0],
        "ack": sorted(shared_desk.usb.glob("*.ltack"))[0],
        "county_key": key,
        "database": shared_desk.t01.folder / "ledger.sqlite",
    }
    disguised = tmp_path / "回执.ltack"  # a package renamed: the content decides, not the name
    shutil.copyfile(files["package"], disguised)
    files["disguised"] = disguised
    broken_key = tmp_path / "county-key-cut.json"  # the key file cut short on the stick
    broken_key.write_bytes(key.read_bytes()[:120])
    files["broken_key"] = broken_key
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(200, 256)) * 4)
    files["junk"] = junk
    return files


def test_a_file_given_to_the_wrong_township_command_is_named_with_the_right_command(
    shared_desk: Desk, stick: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    town = shared_desk.t01.folder / "ledger.sqlite"
    cases = [
        (("sync", "ack", stick["package"]), "是乡镇导出的同步包", "county receive"),
        (("sync", "ack", stick["disguised"]), "是乡镇导出的同步包", "sync verify"),
        (("sync", "ack", stick["county_key"]), "是县级公钥文件", "sync key county-set"),
        (("sync", "key", "county-set", stick["package"]), "是乡镇导出的同步包", "不是县级公钥文件"),
        (("sync", "key", "county-set", stick["ack"]), "是县里出具的回执", "sync ack"),
        (("sync", "key", "county-set", stick["junk"]), "不是县级公钥文件", "内容无法识别"),
        (("sync", "verify", stick["county_key"]), "是县级公钥文件", "sync key county-set"),
        (("sync", "verify", stick["ack"]), "是县里出具的回执", "sync ack"),
        (("restore", stick["package"]), "是乡镇导出的同步包", "不是台账数据库文件"),
        (("restore", stick["junk"]), "不是有效的数据库文件", "或已损坏，不能恢复"),
        (("sync", "export", stick["county_key"]), "是一个文件（县级公钥文件）", "不是文件夹"),
        (("sync", "key", "county-set", stick["broken_key"]), "县级公钥文件", "已损坏"),
    ]
    for argv, what, hint in cases:
        code, said = run(town, capsys, *map(str, argv))
        assert code != 0, (argv, said)
        assert what in said and hint in said, (argv, said)
        assert ("已损坏" not in said or "已损坏" in hint) and not any(e in said for e in ENGLISH), (
            argv,
            said,
        )
    code, said = run(stick["package"], capsys, "member", "list")  # a package opened as the ledger
    assert code != 0 and "是乡镇导出的同步包" in said and "未做任何改动" in said, said


def test_county_only_commands_refuse_a_township_ledger_in_chinese(
    shared_desk: Desk, stick: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    town = shared_desk.t01.folder / "ledger.sqlite"
    for argv in (
        ("county", "pending"),
        ("sync", "device", "list"),
        ("sync", "device", "approve", "0123456789abcdef"),
        ("sync", "device", "revoke", "0123456789abcdef"),
        ("sync", "import", str(stick["package"])),
    ):
        code, said = run(town, capsys, *argv)
        assert code != 0, (argv, said)
        assert "只能在县级接收数据库上使用，本数据库是乡镇台账库" in said, (argv, said)
        assert "county-generate" not in said  # a township is never told to become a county


def test_township_steps_refuse_the_county_database_and_say_what_the_county_does(
    shared_desk: Desk, stick: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    county = shared_desk.db.path
    assert county is not None
    code, said = run(county, capsys, "sync", "ack", str(stick["ack"]))
    assert code != 0 and "这是县级接收数据库" in said and "county receive" in said, said
    assert "另一台设备" not in said
    code, said = run(county, capsys, "sync", "export", str(tmp_path))
    assert code != 0 and "这是县级接收数据库" in said and "乡镇电脑上的操作" in said, said
    assert not list(tmp_path.glob("*.ltpkg"))
    code, said = run(county, capsys, "sync", "key", "county-set", str(stick["package"]))
    assert code != 0 and "是乡镇导出的同步包" in said and "county receive" in said, said


def test_county_status_shows_receipts_only_and_explains_a_laptop_with_two_generations(
    desk: Desk, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # T01's laptop restores a backup (a new generation) and sends again.
    with desk.t01.db.transaction("clerk") as s:
        state.new_generation(s, "restore")
    edit_phone(desk.t01.db, first_member(desk.t01.db), "13900000009")
    usb = tmp_path / "after-restore"
    usb.mkdir()
    desk.t01.export(usb, full=True)
    receive_usb(desk.db, usb)
    county = desk.db.path
    assert county is not None
    code, said = run(county, capsys, "sync", "status")
    assert code == 0, said
    assert "县级接收数据库" in said and "待确认冲突" in said
    for township_line in ("本库设备号", "待同步更改", "上次导出", "县里已确认到", "县级公钥："):
        assert township_line not in said, said
    assert "2 代数据" in said and "恢复过备份或用了复制的数据库" in said, said
    assert "第 1 代" in said and "第 2 代" in said


def _menu_texts(window) -> list[str]:  # type: ignore[no-untyped-def]
    return [a.text() for menu in window.menus.values() for a in menu.actions()]


def test_county_window_has_no_township_sync_entry_or_status_line(
    app: QApplication, qtbot: QtBot, shared_desk: Desk
) -> None:
    county = MainWindow(shared_desk.db)
    qtbot.addWidget(county)
    assert "数据同步…" not in _menu_texts(county) and "县里的通知和手册包…" not in _menu_texts(county)
    assert "同步操作说明…" in [a.text() for a in county.menus["帮助"].actions()]
    assert not hasattr(county, "sync_status_label")
    status = " ".join(w.text() for w in county.statusBar().findChildren(QLabel))
    assert "尚未收到县里回执" not in status and "待送达" not in status
    town = MainWindow(shared_desk.t01.db)
    qtbot.addWidget(town)
    assert "数据同步…" in _menu_texts(town)
    assert "同步操作说明…" in [a.text() for a in town.menus["帮助"].actions()]
    assert "同步：" in town.sync_status_label.text()


def test_county_init_without_a_key_file_says_how_to_write_one_and_rerunning_writes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "county.sqlite"
    code, said = run(target, capsys, "county", "init", str(target), "--name", "青塬县")
    assert code == 0, said
    assert "还没有写出给乡镇的县级公钥文件" in said and "--key-file" in said and "不会生成新密钥" in said
    key = tmp_path / "county-key.json"
    code, again = run(target, capsys, "county", "init", str(target), "--key-file", str(key))
    assert code == 0 and key.exists(), again
    fingerprint = said.split("县级密钥指纹：", 1)[1][:16]
    assert f"县级密钥指纹：{fingerprint}" in again  # the same key, now in a file for the townships


def test_package_file_name_carries_the_local_time_the_format_document_states(
    shared_desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import re
    import time
    from datetime import datetime

    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        usb = tmp_path / "usb"
        usb.mkdir()
        made = shared_desk.t03.export(usb, full=True)
        stamp = re.search(r"_(\d{8}-\d{6})\.ltpkg$", made.file_name)
        assert stamp is not None
        shown = datetime.strptime(stamp.group(1), "%Y%m%d-%H%M%S")
        assert abs((shown - datetime.now()).total_seconds()) < 120  # local clock, not UTC (8 h apart)
    finally:
        monkeypatch.undo()
        time.tzset()
    spec = (Path(__file__).parents[2] / "docs" / "sync-package.md").read_text(encoding="utf-8")
    assert "**local time**" in spec.split("## File name", 1)[1].split("##", 1)[0]


def test_an_unencrypted_export_on_the_command_line_warns_the_county_will_refuse_it(
    shared_desk: Desk, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    code, said = run(shared_desk.t03.folder / "ledger.sqlite", capsys, "sync", "export", str(usb), "--full")
    assert code == 0, said
    assert "未加密" in said and "县里会拒收" in said and "sync key county-set" in said
