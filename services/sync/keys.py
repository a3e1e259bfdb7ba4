"""Key set-up commands: the device's signing key, the county key pair and its public bundle."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from models import DbMeta
from services import audit
from services.db import Database
from services.sync import state
from services.sync.crypto import county_key_id, load_county_key, replace_county_key, x_public_raw
from services.sync.errors import KeyMissing, PackageInvalid, SyncError
from services.sync.fileio import write_atomic
from services.sync.signing import DEVICE_KEY_FILE, b64, device_key, key_id, keys_dir, public_raw, unb64

BUNDLE_FORMAT = "ltpkg-county-key"


def device_info(create: bool = True) -> dict[str, Any]:
    key = device_key(create=create)
    pub = public_raw(key)
    return {"public_key": b64(pub), "key_id": key_id(pub), "file": str(keys_dir() / DEVICE_KEY_FILE)}


def device_renew() -> dict[str, Any]:
    """Township: replace this laptop's signing key with a new one (the old key file is kept, renamed
    with its fingerprint, never deleted) — for a laptop the county revoked (lost, then found).

    Returns ``{"public_key", "key_id", "file", "replaced": old fingerprint, "backup": path}``. The
    county must enroll the new fingerprint before its packages are imported. Raises ``SyncError``
    on the county computer: its device key signs the acknowledgements every township has pinned.
    """
    if load_county_key() is not None:
        raise SyncError(
            "本机是县级电脑（有县级密钥）：它的签名密钥用于签发回执，各乡镇都已记住，不能更换。"
            "更换本机签名密钥只用于乡镇电脑。"
        )
    folder = keys_dir()
    path = folder / DEVICE_KEY_FILE
    old = device_key(create=False) if path.exists() else None
    backup = ""
    if old is not None:
        old_fp = key_id(public_raw(old))
        target = folder / f"device_ed25519-{old_fp}.pem"
        if not target.exists():
            path.replace(target)
        else:
            path.unlink()
        backup = str(target)
    new = device_key(create=True)
    pub = public_raw(new)
    return {
        "public_key": b64(pub),
        "key_id": key_id(pub),
        "file": str(path),
        "replaced": key_id(public_raw(old)) if old is not None else "",
        "backup": backup,
    }


def county_generate(out: Path, *, force: bool = False, db: Database | None = None) -> dict[str, Any]:
    """County: create the X25519 key pair (0600) and write the public bundle the townships import.

    The bundle is also the county's enrollment file: it names this county database (``county_db``),
    so a township that sets it accepts acknowledgements only from this key *and* this database.
    An existing county key is replaced only with ``force``, and then kept first as a backup named
    with its fingerprint (``backup`` in the result; never deleted).
    """
    if out.exists() and not force:
        raise SyncError(f"文件已存在：{out}。请换一个文件名，或加 --force 覆盖。")
    x, backup = replace_county_key(overwrite=force)
    signer = device_key()
    bundle = {
        "format": BUNDLE_FORMAT,
        "x25519": b64(x_public_raw(x)),
        "ed25519": b64(public_raw(signer)),
        "key_id": county_key_id(x_public_raw(x)),
        "signer_key_id": key_id(public_raw(signer)),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if db is not None:
        with db.transaction() as s:
            bundle["county_db"] = state.device_id(s)
    write_atomic(out, json.dumps(bundle, ensure_ascii=False, indent=1).encode("utf-8"))
    return bundle | {"file": str(out), "backup": str(backup or "")}


def county_show() -> dict[str, Any] | None:
    key = load_county_key()
    if key is None:
        return None
    return {"x25519": b64(x_public_raw(key)), "key_id": county_key_id(x_public_raw(key))}


def pinned_county_fingerprint(s: Session) -> str:
    """The fingerprint of the county key a clerk knows: the county key file's (``county init`` and
    ``sync key county-set`` print it), else — pinned from a first acknowledgement — the signing key's."""
    for name, what, fp in (
        (state.COUNTY_X25519, "县级加密公钥", county_key_id),
        (state.COUNTY_ED25519, "县级签名公钥", key_id),
    ):
        value = state.get(s, name)
        if value:
            try:
                return fp(unb64(value, what)) + ("" if fp is county_key_id else "（签名密钥）")
            except PackageInvalid:
                continue
    return "（未配置）"


class CountyKeyChange(SyncError):
    """``county_set`` with a key file other than the one already pinned, without ``replace``: the
    clerk must confirm (CLI ``--replace``, GUI a confirmation naming both fingerprints).
    ``old`` / ``new``: the fingerprints (``county_key_id`` of the encryption keys, as printed by
    ``county init`` and ``sync key county-set``)."""

    def __init__(
        self, path: Path, old: str, new: str, old_db: str = "", new_db: str = "", new_signer: str = ""
    ) -> None:
        signer = f"（签名密钥指纹 {new_signer}）" if new_signer else ""
        what = (
            f"文件 {Path(path).name} 的县级公钥指纹是 {new}{signer}，与之不同"
            if old != new
            else f"文件 {Path(path).name} 的县级公钥相同，但属于另一个县级数据库（编号 {new_db[:8]}，本机认可的是 {old_db[:8]}）"
        )
        super().__init__(
            f"本机已配置县级公钥（指纹 {old}），{what}，未做更改。"
            "更换后，导出的同步包只有新县级电脑能解开，本机也只接受新县级电脑的回执。请先电话向县里核实新指纹；"
            "确认要更换，加 --replace 重新运行（界面中确认更换）。"
        )
        self.old, self.new = old, new


def county_set(db: Database, bundle_path: Path, *, replace: bool = False, user: str = "") -> dict[str, Any]:
    """Township: configure (pin) the county's public keys; packages are encrypted from now on.

    Returns ``{"key_id", "signer_key_id", "replaced_key_id" ("" unless a pinned key was replaced),
    "unchanged": bool}``. Raises ``KeyMissing`` for a file that is not a county key file,
    ``NotCounty``-style ``SyncError`` on a county database (its own key is not pinned, it is the
    county), and ``CountyKeyChange`` when another county key is already pinned and ``replace`` is
    False — nothing is written then (a file handed over by anyone else would otherwise redirect every
    later package to a key the county cannot read and let that key's acknowledgements mark changes
    delivered). A new encryption key of the same county (same signing key, same database) is
    accepted without ``replace``. A replacement is audited with both fingerprints.
    """
    from services.county.mode import is_county

    try:
        data = json.loads(Path(bundle_path).read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise KeyMissing(
            f"{bundle_path} 不是县级公钥文件（应由 `county init --key-file` 写出的 .json 文件）。"
        ) from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise KeyMissing(f"无法读取县级公钥文件 {bundle_path}：{exc}。") from exc
    if not isinstance(data, dict) or data.get("format") != BUNDLE_FORMAT:
        raise KeyMissing(f"{bundle_path} 不是县级公钥文件（应由 `sync key county-generate` 生成）。")
    x, ed = str(data.get("x25519", "")), str(data.get("ed25519", ""))
    if len(unb64(x, "县级加密公钥")) != 32 or len(unb64(ed, "县级签名公钥")) != 32:
        raise KeyMissing(f"县级公钥文件 {bundle_path} 中的密钥长度不对，文件已损坏。")
    county_db = data.get("county_db")
    if county_db is not None and (not isinstance(county_db, str) or len(county_db) != 32):
        raise KeyMissing(f"县级公钥文件 {bundle_path} 中的县级数据库编号无效，文件已损坏。")
    new_id = county_key_id(unb64(x, "县级加密公钥"))
    replaced = ""
    with db.transaction(user) as s:
        if is_county(s):
            raise SyncError(
                "这是县级接收数据库，不需要配置县级公钥：县级公钥文件是发给乡镇电脑的，"
                "请在乡镇电脑上运行 `sync key county-set 文件`。"
            )
        old_x, old_ed = state.get(s, state.COUNTY_X25519), state.get(s, state.COUNTY_ED25519)
        old_db = state.get(s, state.COUNTY_DB_ID)
        # the same county (signer and database) may hand over a new encryption key (county-generate --force)
        same = (old_ed in ("", ed)) and (not county_db or old_db in ("", county_db))
        if old_x == x and old_ed == ed and (not county_db or old_db == county_db):
            return {
                "key_id": new_id,
                "signer_key_id": key_id(unb64(ed, "县级签名公钥")),
                "replaced_key_id": "",
                "unchanged": True,
            }
        if not same:
            old_id = pinned_county_fingerprint(s)
            if not replace:
                raise CountyKeyChange(
                    Path(bundle_path),
                    old_id,
                    new_id,
                    old_db,
                    str(county_db or ""),
                    key_id(unb64(ed, "县级签名公钥")),
                )
            replaced = old_id
            audit.record_event(
                s, "county_key_replaced", {"old": old_id, "new": new_id, "file": str(bundle_path)}
            )
        state.put(s, state.COUNTY_X25519, x)
        state.put(s, state.COUNTY_ED25519, ed)
        if county_db:
            state.put(s, state.COUNTY_DB_ID, county_db)
        elif replaced and old_db:  # the old county's database pin would refuse the new county's acks
            row = s.get(DbMeta, state.COUNTY_DB_ID)
            if row is not None:
                s.delete(row)
    return {
        "key_id": new_id,
        "signer_key_id": key_id(unb64(ed, "县级签名公钥")),
        "replaced_key_id": replaced,
        "unchanged": False,
    }
