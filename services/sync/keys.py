"""Key set-up commands: the device's signing key, the county key pair and its public bundle."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.db import Database
from services.sync import state
from services.sync.crypto import county_key_id, load_county_key, replace_county_key, x_public_raw
from services.sync.errors import KeyMissing, SyncError
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


def county_set(db: Database, bundle_path: Path, *, user: str = "", replace: bool = False) -> dict[str, Any]:
    """Township: configure the county's public keys; packages are encrypted from now on.

    Once a county is pinned (its signing key and database, from an earlier file or the first
    acknowledgement), a file naming another signing key or another county database is refused
    unless ``replace`` (a county that really moved to another computer or database, the new
    fingerprint checked by phone): a file handed over by anyone else would otherwise redirect every
    later package to a key the county cannot read and let that key's acknowledgements mark changes
    delivered. A new encryption key of the same county (same signer, same database) is accepted.
    Raises ``KeyMissing`` for an unreadable file, ``SyncError`` for another county."""
    try:
        data = json.loads(Path(bundle_path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KeyMissing(f"无法读取县级公钥文件 {bundle_path}：{exc}。") from exc
    if not isinstance(data, dict) or data.get("format") != BUNDLE_FORMAT:
        raise KeyMissing(f"{bundle_path} 不是县级公钥文件（应由 `sync key county-generate` 生成）。")
    x, ed = str(data.get("x25519", "")), str(data.get("ed25519", ""))
    if len(unb64(x, "县级加密公钥")) != 32 or len(unb64(ed, "县级签名公钥")) != 32:
        raise KeyMissing(f"县级公钥文件 {bundle_path} 中的密钥长度不对，文件已损坏。")
    county_db = data.get("county_db")
    if county_db is not None and (not isinstance(county_db, str) or len(county_db) != 32):
        raise KeyMissing(f"县级公钥文件 {bundle_path} 中的县级数据库编号无效，文件已损坏。")
    with db.transaction(user) as s:
        pinned_ed, pinned_db = state.get(s, state.COUNTY_ED25519), state.get(s, state.COUNTY_DB_ID)
        other_signer = bool(pinned_ed) and pinned_ed != ed
        other_db = bool(pinned_db) and bool(county_db) and pinned_db != county_db
        if (other_signer or other_db) and not replace:
            was = f"签名密钥指纹 {key_id(unb64(pinned_ed, '县级签名公钥'))}" if pinned_ed else "签名密钥未知"
            raise SyncError(
                f"县级公钥文件 {bundle_path} 来自另一台县级电脑或另一个县级数据库（签名密钥指纹 "
                f"{key_id(unb64(ed, '县级签名公钥'))}，数据库 {str(county_db or '未写明')[:8]}），"
                f"而本机已记住的县里是：{was}，数据库 {(pinned_db or '未知')[:8]}。未做任何更改。"
                "如果县里确实换了电脑或数据库，请先电话核对县里 `sync key county-show` 和回执上显示的指纹，"
                "再加 --replace 重新运行；否则请勿使用这个文件。"
            )
        state.put(s, state.COUNTY_X25519, x)
        state.put(s, state.COUNTY_ED25519, ed)
        if county_db:
            state.put(s, state.COUNTY_DB_ID, county_db)
        elif other_signer:  # another county without a database id: pin it at its first acknowledgement
            state.put(s, state.COUNTY_DB_ID, "")
    return {
        "key_id": county_key_id(unb64(x, "县级加密公钥")),
        "signer_key_id": key_id(unb64(ed, "县级签名公钥")),
    }
