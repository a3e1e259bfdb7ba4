"""What a file handed to a sync command is, told by its content (never by its name alone), and the
Chinese message that says which command it belongs to when it went to the wrong one.

A clerk picks files from a USB stick that holds packages, acknowledgements, the county key file and
backups side by side; a wrong pick must read "这是同步包，请用 …", not a decoder's or SQLite's English.
The kinds: ``package`` (.ltpkg, a ZIP), ``ack`` (.ltack, JSON ``"format": "ltack"``), ``county_key``
(the county's public key file, JSON ``"format": "ltpkg-county-key"``), ``database`` (SQLite: a ledger
or its backup), ``folder``, ``missing``, ``other``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

Kind = Literal["package", "ack", "county_key", "database", "folder", "missing", "other"]

ZIP_HEAD = b"PK\x03\x04"
SQLITE_HEAD = b"SQLite format 3\x00"
_FORMAT = re.compile(rb'"format"\s*:\s*"([A-Za-z0-9_-]+)"')

WHAT: dict[str, str] = {
    "package": "乡镇导出的同步包（.ltpkg）",
    "ack": "县里出具的回执（.ltack）",
    "county_key": "县级公钥文件",
    "database": "台账数据库文件（或它的备份）",
    "folder": "文件夹",
    "other": "不是支部台账的同步文件",
}


def sniff(path: Path) -> Kind:
    """The kind of ``path`` from its first 4 KiB (see the module docstring). Never raises."""
    try:
        if path.is_dir():
            return "folder"
        if not path.exists():
            return "missing"
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return "other"
    if head.startswith(ZIP_HEAD):
        return "package"
    if head.startswith(SQLITE_HEAD):
        return "database"
    if head.lstrip().startswith(b"{"):
        found = _FORMAT.search(head)
        if found is not None:
            fmt = found.group(1)
            if fmt == b"ltack":
                return "ack"
            if fmt == b"ltpkg-county-key":
                return "county_key"
    return "other"


def _use(kind: str, name: str, county: bool) -> str:
    """Where a file of ``kind`` goes (``county``: this is the county's database)."""
    if kind == "package":
        return (
            f"请用 `county receive 文件夹`（或 `sync import {name}`）在县级接收库里导入它，"
            "或用 `sync verify` 只做校验。"
            if county
            else f"同步包要交给县里导入（县级接收电脑上的 `county receive`）；在本机只能用 `sync verify {name}` 校验。"
        )
    if kind == "ack":
        return (
            "回执是给乡镇电脑的：请把它带回乡镇，在乡镇电脑上用 `sync ack` 或“数据同步”窗口的“导入县里的回执”导入。"
            if county
            else f"请用 `sync ack {name}`（或“数据同步”窗口的“导入县里的回执…”）导入它。"
        )
    if kind == "county_key":
        return (
            "它是发给各乡镇的：在乡镇电脑上用 `sync key county-set 文件`（或“数据同步”窗口的“导入县级公钥文件…”）导入。"
            if county
            else f"请用 `sync key county-set {name}`（或“数据同步”窗口的“导入县级公钥文件…”）导入它。"
        )
    if kind == "database":
        return "请用 `restore 文件` 从备份恢复，或用 --db 打开它。"
    return ""


def wrong_file(path: Path, expected: str, *, county: bool = False) -> str | None:
    """The message when ``path`` is not of kind ``expected`` (``package`` / ``ack`` / ``county_key`` /
    ``database``): ``这是同步包（…），不是回执。请用 …``; None when it is (or when its kind cannot be
    told: the command's own reader then names the damage). ``county``: the open database is the
    county's, which changes where a package, an ack or a key file goes."""
    kind = sniff(path)
    if kind == expected or kind == "missing":
        return None
    wanted = WHAT.get(expected, expected).split("（", 1)[0]
    if kind == "folder":
        return f"{path} 是一个文件夹，不是{wanted}。请选择文件。"
    if kind == "other":  # a database's or an ack's own reader names the damage better
        if expected == "county_key":
            return f"{path.name} 不是{wanted}（内容无法识别）。请选择正确的文件。"
        return None
    return f"{path.name} 是{WHAT[kind]}，不是{wanted}。{_use(kind, path.name, county)}"


def not_a_folder(path: Path) -> str | None:
    """The message when an export target is an existing file (the county key file picked instead of
    the stick's folder), naming what the file is; None for a folder or a path not there yet."""
    if not path.exists() or path.is_dir():
        return None
    kind = sniff(path)
    what = f"（{WHAT[kind]}）" if kind in ("package", "ack", "county_key", "database") else ""
    return f"{path} 是一个文件{what}，不是文件夹。同步包要导出到文件夹：请选择 U 盘上的文件夹，如 {path.parent}。"


def county_key_fingerprints(path: Path) -> dict[str, str]:
    """``{"key_id", "signer_key_id"}`` of a county key file, read without configuring it (the
    数据同步 window shows the new fingerprint before replacing a pinned one). Raises ``KeyMissing``
    with a Chinese message for a file that is not a readable county key file."""
    import json

    from services.sync.crypto import county_key_id
    from services.sync.errors import KeyMissing, SyncError
    from services.sync.signing import key_id, unb64

    wrong = wrong_file(path, "county_key")
    if wrong:
        raise KeyMissing(wrong)
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
        x, ed = unb64(str(data["x25519"]), "县级加密公钥"), unb64(str(data["ed25519"]), "县级签名公钥")
    except OSError as exc:
        raise KeyMissing(f"无法读取县级公钥文件 {path.name}（{exc.strerror or '读取出错'}）。") from exc
    except (ValueError, KeyError, TypeError, SyncError) as exc:
        raise KeyMissing(f"县级公钥文件 {path.name} 已损坏，请让县里重新提供。") from exc
    return {"key_id": county_key_id(x), "signer_key_id": key_id(ed)}
