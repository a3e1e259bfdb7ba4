"""Acknowledgements: the county signs what it received from a device; the township marks it delivered."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from models import SyncDevice, SyncHeld, SyncReceived
from services import localtime
from services.db import Database
from services.sync import anchor as sync_anchor
from services.sync import inbox, state
from services.sync.errors import AckInvalid, PackageInvalid, SyncError
from services.sync.exporter import _safe
from services.sync.fileio import write_atomic
from services.sync.manifest import canonical
from services.sync.signing import b64, device_key, key_id, public_raw, sign, unb64, verify

FORMAT = "ltack"
FORMAT_VERSION = 2  # 2: bound to the county database id and the device's generation
SUFFIX = ".ltack"
MAX_ACK = 96 << 20  # the return channel (notices with attachments, pack updates) rides inside
RECENT = 100  # packages listed in one acknowledgement


@dataclass
class AckFile:
    path: Path
    payload: dict[str, Any]

    @property
    def file_name(self) -> str:
        return self.path.name

    signature: str = ""

    @property
    def received_through(self) -> int:
        return int(self.payload["received_through"])


@dataclass
class AckResult:
    file_name: str
    township_code: str
    device_id: str
    received_through: int
    previous: int
    acked: int
    held: list[dict[str, Any]] = field(default_factory=list)
    message: str = ""
    county_items: dict[str, int] = field(default_factory=dict)  # new notices/packs/decisions received

    def to_json(self) -> dict[str, Any]:
        return {
            "file_name": self.file_name,
            "township": self.township_code,
            "device_id": self.device_id,
            "received_through": self.received_through,
            "previous": self.previous,
            "acked": self.acked,
            "held": self.held,
            "message": self.message,
            "county_items": self.county_items,
        }


def write_ack(db: Database, device_id: str, outdir: Path, *, key: Ed25519PrivateKey | None = None) -> AckFile:
    """Write (atomically) and read back the signed acknowledgement for one device stream.

    ``device_id`` is the stream (``<device id>.<generation>``, as in ``ImportResult.device_id``) or a
    bare device id (its latest stream). The acknowledgement names this county database's id.
    """
    key = key or device_key()
    with db.transaction() as s:
        local = state.device_id(s)
        county_lineage = state.county_lineage(s)  # orders acks across county restores
        state.note_counter(s)  # a county file put back later is then noticed (state._check_county)
        device = s.get(SyncDevice, device_id)
        if device is None:
            device = s.scalars(
                select(SyncDevice)
                .where(SyncDevice.device_id.startswith(device_id))
                .order_by(SyncDevice.last_seen.desc())
            ).first()
        waiting = None
        if device is None:  # nothing received from this stream (yet, or since a county restore)
            waiting = s.scalars(
                select(SyncHeld).where(SyncHeld.device_id == device_id, SyncHeld.reason == "gap")
            ).first()
            if waiting is None or not waiting.township_id:
                raise SyncError(f"本库还没有收到过设备 {device_id[:8]} 的同步包，无法出具回执。")
            device = SyncDevice(
                device_id=device_id,
                township_code=waiting.township_code,
                township_id=waiting.township_id,
                public_key="",
                high_seq=0,
                generation=device_id.split(".")[1] if "." in device_id else "",
            )
        device_id = device.device_id
        received = s.scalars(
            select(SyncReceived)
            .where(SyncReceived.device_id == device_id)
            .order_by(SyncReceived.seq_to.desc())
            .limit(RECENT)
        ).all()
        held = s.scalars(
            select(SyncHeld).where(SyncHeld.device_id == device_id).order_by(SyncHeld.seq_from)
        ).all()
        now = datetime.now(UTC).replace(tzinfo=None)
        pub = public_raw(key)
        log_anchor = sync_anchor.for_ack(s, device_id)  # i20: the log end the county saw, signed
        from services.county.outbox import items_for_ack  # the return channel (#17)

        county_items = items_for_ack(s, device.township_code)
        payload: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": now.isoformat(timespec="seconds") + "Z",
            "county": {
                "device_id": local,
                "public_key": b64(pub),
                "key_id": key_id(pub),
                "lineage": county_lineage,
            }
            | _county_key_field(),
            "township": {"code": device.township_code, "id": device.township_id},
            "device_id": device_id.split(".")[0],
            "generation": device.generation,
            "received_through": device.high_seq,
            "packages": [
                {
                    "package_id": r.package_id,
                    "file_name": r.file_name,
                    "seq_from": r.seq_from,
                    "seq_to": r.seq_to,
                    "received_at": r.received_at.isoformat(timespec="seconds") + "Z",
                }
                for r in received
            ],
            "held": [
                {
                    "file_name": h.file_name,
                    "seq_from": h.seq_from,
                    "seq_to": h.seq_to,
                    "missing_from": h.missing_from,
                    "missing_to": h.missing_to,
                }
                for h in held
            ],
        } | ({"audit_anchor": log_anchor} if log_anchor else {})
        if county_items:
            payload["county_items"] = county_items
    body = canonical(payload)
    doc = {"ack": payload, "signature": b64(sign(key, body))}
    path = (
        Path(outdir)
        / f"{_safe(device.township_code)}_{device_id[:8]}_ack_{device.high_seq}_{localtime.to_local(now):%Y%m%d-%H%M%S}{SUFFIX}"
    )
    try:
        write_atomic(path, json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8"))
    except OSError as exc:
        raise SyncError(f"写入回执失败：{exc}。请检查 U 盘是否已满或写保护。") from exc
    back = read_ack(path)
    if back.payload != payload:
        path.unlink(missing_ok=True)
        raise SyncError("回执写入后读回不一致，已删除。请换一个 U 盘重试。")
    return back


def read_ack(path: Path) -> AckFile:
    """Parse and verify an acknowledgement's signature (not yet whether it is meant for us)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_ACK:
            raise AckInvalid(f"回执文件 {path.name} 过大（{size} 字节），不是有效的回执。")
        raw = path.read_bytes()
        if raw.startswith(b"PK\x03\x04") or path.suffix.lower() == ".ltpkg":
            raise AckInvalid(
                f"{path.name} 是乡镇导出的同步包（.ltpkg），不是县里出具的回执（.ltack）。"
                "同步包请交到县里用 `sync import` 导入；回执由县里导入后出具。"
            )
        doc = json.loads(raw.decode("utf-8"))
    except OSError as exc:
        raise AckInvalid(f"无法读取回执文件 {path}：{exc.strerror}。") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AckInvalid(f"回执文件 {path.name} 已损坏或不完整，请让县里重新出具。") from exc
    except (RecursionError, ValueError) as exc:  # nesting too deep, a number too long to read
        raise AckInvalid(
            f"{path.name} 的内部结构异常（{type(exc).__name__}），不是本软件出具的回执，已拒绝（可能是恶意文件）。"
        ) from exc
    if (
        not isinstance(doc, dict)
        or not isinstance(doc.get("ack"), dict)
        or not isinstance(doc.get("signature"), str)
    ):
        raise AckInvalid(f"{path.name} 不是支部台账的同步回执。")
    payload: dict[str, Any] = doc["ack"]
    if payload.get("format") != FORMAT:
        raise AckInvalid(f"{path.name} 不是支部台账的同步回执。")
    version = payload.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise AckInvalid(f"回执 {path.name} 的格式版本 {version!r} 无效，文件已损坏或是伪造的。")
    if version > FORMAT_VERSION:
        raise AckInvalid(f"回执格式版本 {version} 比本软件支持的 {FORMAT_VERSION} 新，请先升级软件。")
    if version < FORMAT_VERSION:
        raise AckInvalid(
            f"回执 {path.name} 是旧格式（版本 {version}），没有绑定县级数据库，不能使用。请县里升级软件后重新出具回执。"
        )
    county = payload.get("county")
    through = payload.get("received_through")
    if (
        not isinstance(county, dict)
        or not isinstance(through, int)
        or isinstance(through, bool)
        or through < 0
        or not isinstance(payload.get("device_id"), str)
        or not isinstance(payload.get("generation"), str)
        or not isinstance(county.get("device_id"), str)
        or not county.get("device_id")
    ):
        raise AckInvalid(f"回执 {path.name} 缺少必要的字段，文件已损坏。")
    if not doc["signature"]:
        raise AckInvalid(
            f"回执 {path.name} 没有签名，无法确认是县里出具的，未做任何更改。请让县里重新出具回执。"
        )
    try:
        verify(
            str(county.get("public_key", "")), canonical(payload), unb64(doc["signature"], "回执签名"), "回执"
        )
    except PackageInvalid as exc:
        raise AckInvalid(f"回执 {path.name} {exc.message}") from exc
    inbox.validate_items(payload.get("county_items"), path.name)  # signed: now check their shape
    return AckFile(path=path, payload=payload, signature=doc["signature"])


def apply_ack(db: Database, path: Path, *, user: str = "") -> AckResult:
    """Township side: verify the acknowledgement is for this device and mark its range delivered.

    Trust: the ack must be signed by the county key this township pinned — from the county's key
    file (`sync key county-set`) or, without one, the first acknowledgement applied — and name the
    same county database. It must be for this device and this generation. Applying it twice
    changes nothing. Raises ``AckInvalid`` (nothing written) otherwise.
    """
    ack = read_ack(path)
    p = ack.payload
    county = p["county"]
    reused: AckInvalid | None = None
    with db.transaction(user) as s:
        state.check_generation(s)
        mine = state.device_id(s, create=False)
        if not mine:
            raise AckInvalid("本机还没有导出过同步包，这份回执不是给本机的。")
        if p["device_id"] != mine:
            raise AckInvalid(
                f"回执 {ack.file_name} 属于另一台设备（{p['device_id'][:8]}），本机设备号为 {mine[:8]}，未做任何更改。"
            )
        town = state.township(s)
        ack_town = p.get("township") or {}
        if ack_town.get("code") != town.code or ack_town.get("id") != town.id:
            raise AckInvalid(
                f"回执 {ack.file_name} 属于乡镇 {ack_town.get('code')}，本库是乡镇 {town.code}，未做任何更改。"
            )
        county_ed = state.get(s, state.COUNTY_ED25519)
        county_db = state.get(s, state.COUNTY_DB_ID)
        if county_ed and county.get("public_key") != county_ed:
            from services.sync.keys import pinned_county_fingerprint

            theirs = _fp(str(county.get("public_key")))  # computed from the key, never the file's word
            raise AckInvalid(
                f"回执 {ack.file_name} 不是由本机认可的县级密钥签发的（回执的密钥指纹 {theirs}，由回执中的签名密钥算出；"
                f"本机认可的县级公钥指纹是 {pinned_county_fingerprint(s)}，即 `sync key county-set` 时显示的指纹），"
                "未做任何更改。请确认回执来自县里的正式接收电脑；如县里确已更换密钥，请核实新指纹后运行 "
                "`sync key county-set 新公钥文件 --replace`。"
            )
        if county_db and county.get("device_id") != county_db:
            raise AckInvalid(
                f"回执 {ack.file_name} 来自另一个县级数据库（{str(county.get('device_id'))[:8]}），"
                f"本机认可的是 {county_db[:8]}，未做任何更改。请在县里的正式数据库上导入同步包后再出具回执；"
                "如果县里确实换了电脑或数据库，请向县里索取新的县级公钥文件，在本机运行 "
                "`sync key county-set 文件 --replace`（先电话核对新指纹）后再导入回执。"
            )
        generation = state.generation(s)
        if not generation or p["generation"][:16] != generation[:16]:  # the stream names 16 hex of it
            raise AckInvalid(
                f"回执 {ack.file_name} 针对的是本库恢复备份或复制之前的数据库世代，已不适用，未做任何更改。"
                "请导出同步包（会自动包含全部数据）交给县里，再使用新的回执。"
            )
        last_ack = state.get_json(s, state.LAST_ACK) or {}
        if last_ack.get("signature") == ack.signature:
            acked = previous = state.acked_seq(s)
            held = list(last_ack.get("held") or [])
            return _result(ack, town.code, mine, previous, acked, held, repeat=True)
        if _older(p, last_ack):
            # The county's latest word stands: an older one (still on the stick, or applied again)
            # would claim numbers a county restore since then has lost, or ask again for old ones.
            # Nothing changes, as for a repeat (exit 0).
            acked = state.acked_seq(s)
            older = _result(ack, town.code, mine, acked, acked, [], repeat=True)
            older.message = (
                f"回执 {ack.file_name}（县里出具于 {localtime.show_iso(str(p.get('created_at')), seconds=True)}，"
                f"确认到第 {ack.received_through} 号）早于本机已处理过的回执 {last_ack.get('file_name', '')}"
                f"（出具于 {localtime.show_iso(str(last_ack.get('created_at')), seconds=True)}），以县里较新的回执为准，"
                f"已处理过：县里已确认收到第 {acked} 号及以前的全部更改，本次未做任何更改（时间均为本地时间）。"
            )
            return older
        last_export = state.get_json(s, state.LAST_EXPORT) or {}
        exported_to = int(last_export.get("seq_to", 0))
        if ack.received_through > exported_to:
            # The county has numbers this database never exported in this generation: they were
            # issued before (a restore or copy that went unnoticed). Continue in a new generation.
            state.new_generation(s, "reuse", fork=exported_to)
            reused = AckInvalid(
                f"回执确认收到第 {ack.received_through} 号，但本机在当前世代最多只导出到第 {exported_to} 号："
                "本库的更改序号已被使用过（恢复过备份或复制过数据库）。本机已开始新的数据库世代，"
                "请重新导出同步包（会包含全部数据）交给县里。"
            )
    if reused is not None:
        raise reused  # after the commit: the new generation must stay
    with db.transaction(user) as s:
        if not county_ed:  # first seen: pin the county's signing key and database
            state.put(s, state.COUNTY_ED25519, str(county.get("public_key")))
        if not county_db:
            state.put(s, state.COUNTY_DB_ID, str(county.get("device_id")))
        previous = state.acked_seq(s)
        # The county's word is final: lower than before means the county restored a backup and asks
        # for everything after ``received_through`` again (the next incremental export resends it).
        acked = ack.received_through
        held = list(p.get("held") or [])
        if acked != previous:
            state.put(s, state.ACKED_SEQ, str(acked))
        sync_anchor.remember_ack(s, p.get("audit_anchor"))  # i20: checked by `audit verify`
        state.acknowledged(s)
        # The return channel (#17): signed by the county key pinned above, stored once each.
        same_person: list[str] = []
        items = inbox.receive_items(
            s, inbox.validate_items(p.get("county_items"), ack.file_name), ack.file_name, same_person
        )
        state.put_json(
            s,
            state.LAST_ACK,
            {
                "file_name": ack.file_name,
                "applied_at": datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
                "created_at": p.get("created_at"),
                "received_through": ack.received_through,
                "acked": acked,
                "held": held,
                "county_key_id": _fp(str(county.get("public_key"))),  # from the key, not the file's word
                "county_lineage": _county_lineage(p),
                "signature": ack.signature,
            },
        )
    result = _result(ack, town.code, mine, previous, acked, held, repeat=False)
    result.county_items = items
    result.message += _items_message(items) + "".join(same_person)
    return result


def _county_lineage(payload: dict[str, Any]) -> list[str]:
    """The county generations an acknowledgement names, newest first ([] for one without them)."""
    raw = (payload.get("county") or {}).get("lineage")
    if not isinstance(raw, list):
        return []
    return [str(x[0]) for x in raw if isinstance(x, list) and x and isinstance(x[0], str)]


def _older(payload: dict[str, Any], last: dict[str, Any]) -> bool:
    """Whether the acknowledgement ``payload`` was written before the one applied last (``last``,
    as stored in ``sync.last_ack``), for the same township generation and pinned county database.

    By the county database's generations first, not by clocks: one whose generations contain the
    other's current one was written after a county restore, so it is the newer (even with a lower
    number, and whatever the county's clock said). In the same county generation the county's number
    for this stream only grows, so an older one has a lower or equal ``received_through`` *and* an
    earlier ``created_at``: a county clock set back never makes a higher number look old, and a county
    restore nobody noticed (a server database restored outside the program on another computer)
    still has the later time, so its lower number is taken as the county's word. (A restore this
    program sees starts a new county generation: ``state._check_county``.) Otherwise the county's
    ``created_at`` times decide.
    """
    if not last.get("signature"):
        return False
    made, last_made = str(payload.get("created_at") or ""), str(last.get("created_at") or "")
    earlier = bool(last_made) and made < last_made
    mine, theirs = _county_lineage(payload), list(last.get("county_lineage") or [])
    if mine and theirs:
        if mine[0] == theirs[0]:
            # same number, written earlier: nothing the later one did not say (a same-second pair is
            # applied again — harmless, the numbers do not move)
            return earlier and int(payload["received_through"]) <= int(last.get("received_through", 0))
        if theirs[0] in mine:
            return False
        if mine[0] in theirs:
            return True
    return earlier


def _items_message(items: dict[str, int]) -> str:
    parts = []
    if items.get("notice"):
        parts.append(f"县里发来 {items['notice']} 个新通知（`notice list` 查看）。")
    if items.get("pack"):
        parts.append("县里下发了手册包更新，确认后运行 `handbook install-update --yes` 安装。")
    if items.get("applied"):
        parts.append(f"已按县里的决定更新 {items['applied']} 条冲突记录。")
    if items.get("restored"):
        parts.append(
            f"已补回 {items['restored']} 条本机缺少、县里仍保留的记录（多为恢复备份前送达县里的记录）。"
        )
    if items.get("skipped"):
        parts.append(
            f"{items['skipped']} 条县里的冲突决定未采用（本机之后又修改过该记录，或缺少它所属的上级记录；"
            "`sync status` 列出原因），下次同步时县里会再次核对。"
        )
    return "".join(parts)


def _county_key_field() -> dict[str, str]:
    """The county key file's fingerprint (what ``county init`` printed), so a township refusing this
    acknowledgement can name the fingerprint its clerk knows; empty when no county key is here."""
    from services.sync.crypto import county_key_id, load_county_key, x_public_raw

    try:
        key = load_county_key()
    except SyncError:
        return {}
    return {"county_key_id": county_key_id(x_public_raw(key))} if key is not None else {}


def _fp(public_b64: str) -> str:
    try:
        return key_id(unb64(public_b64, "县级签名公钥"))
    except PackageInvalid:
        return "（无效）"


def _result(
    ack: AckFile, town: str, mine: str, previous: int, acked: int, held: list[dict[str, Any]], *, repeat: bool
) -> AckResult:
    if repeat:
        message = f"这份回执已处理过：县里已确认收到第 {acked} 号及以前的全部更改，本次未做任何更改。"
    elif acked == previous:
        message = f"县里已确认收到第 {acked} 号及以前的全部更改，无新变化。"
    elif acked < previous:
        message = (
            f"县里的数据库只收到第 {acked} 号及以前的更改（此前确认到第 {previous} 号，县里可能恢复过备份）。"
            f"下次导出会从第 {acked + 1} 号起重新发送，请导出后交给县里。"
        )
    else:
        message = f"县里已确认收到第 {acked} 号及以前的全部更改（此前确认到第 {previous} 号）。"
    if held:
        gaps = "、".join(f"第 {h['missing_from']}–{h['missing_to']} 号" for h in held if h.get("missing_to"))
        if gaps:
            message += (
                f"县里暂存了 {len(held)} 个包，缺少{gaps}更改：请再导出一次同步包交给县里"
                f"（会从第 {acked + 1} 号起重新发送，补上这段）。"
            )
        else:
            message += f"县里暂存了 {len(held)} 个包，等待县里登记本机设备。"
    return AckResult(
        file_name=ack.file_name,
        township_code=town,
        device_id=mine,
        received_through=ack.received_through,
        previous=previous,
        acked=acked,
        held=held,
        message=message,
    )


@dataclass
class AckFolderResult:
    """``apply_acks_in_folder``: the acknowledgements applied (oldest first), one summary line each
    for those already processed and those of an earlier database generation, and notes on the rest."""

    folder: Path
    applied: list[AckResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        lines = [f"{r.file_name}：{r.message}" for r in self.applied]
        return "\n".join([*lines, *self.summary, *(f"提示：{n}" for n in self.notes)])

    def to_json(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "applied": [r.to_json() for r in self.applied],
            "summary": self.summary,
            "notes": self.notes,
        }


def apply_acks_in_folder(db: Database, folder: Path, *, user: str = "") -> AckFolderResult:
    """Township side: apply the acknowledgements in ``folder`` (the USB stick) meant for this device.

    Each ``.ltack`` is read and verified first; those for another device or township and unreadable
    ones are left alone with a note each. Of this device's: those written before the acknowledgement
    this database last applied (or the same file again) are "已处理过" and those for a generation
    before a restore or copy no longer apply — one summary line each, no advice, since a newer
    acknowledgement or the next export covers them. The rest are applied one by one with
    ``apply_ack`` in the order the county wrote them, newest last. A folder holding only
    acknowledgements already processed is a success (nothing changed). Raises ``AckInvalid`` naming
    the folder when none is for this device, or only ones of an earlier generation (nothing written).
    """
    folder = Path(folder)
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == SUFFIX)
    if not files:
        raise AckInvalid(f"文件夹 {folder} 里没有回执（{SUFFIX} 文件）。请确认县里已把回执写到这个 U 盘。")
    with db.transaction(user) as s:
        state.check_generation(s)  # a copy or restore found now: acks of before no longer apply
        mine = state.device_id(s, create=False)
        town = state.township(s) if mine else None
        generation = state.generation(s)
        last = state.get_json(s, state.LAST_ACK) or {}
        acked = state.acked_seq(s)
    if not mine or town is None:
        raise AckInvalid(f"本机还没有导出过同步包，文件夹 {folder} 里的回执都不是给本机的。")
    result = AckFolderResult(folder=folder)
    ours: list[AckFile] = []
    done: list[str] = []
    earlier: list[str] = []
    for path in files:
        try:
            ack = read_ack(path)
        except AckInvalid as exc:
            result.notes.append(f"{path.name} 无法使用，已跳过：{exc.message}")
            continue
        p = ack.payload
        ack_town = p.get("township") or {}
        if p["device_id"] != mine or ack_town.get("code") != town.code:
            result.notes.append(
                f"{path.name} 是给乡镇 {ack_town.get('code')}、设备 {p['device_id'][:8]} 的回执，不是给本机的，已跳过。"
            )
        elif not generation or str(p["generation"])[:16] != generation[:16]:
            earlier.append(path.name)
        elif ack.signature == last.get("signature") or (bool(last) and _older(p, last)):
            done.append(path.name)
        else:
            ours.append(ack)
    ours.sort(key=lambda a: (str(a.payload.get("created_at") or ""), a.received_through, a.file_name))
    for ack in ours:
        try:
            result.applied.append(apply_ack(db, ack.path, user=user))
        except AckInvalid as exc:
            result.notes.append(f"{ack.file_name} 未导入：{exc.message}")
    if result.applied:
        acked = result.applied[-1].acked
    if done:
        result.summary.append(
            f"{_names(done)}已处理过（县里已确认收到第 {acked} 号及以前的全部更改），本次未做更改。"
        )
    if earlier and (result.applied or done):
        result.summary.append(
            f"{_names(earlier)}是本库恢复备份或复制之前的回执，已不适用，已忽略（无需处理）。"
        )
    if result.applied or (done and not ours):
        return result
    if ours:
        raise AckInvalid(f"文件夹 {folder} 里给本机的回执都未能导入：\n" + "\n".join(result.notes))
    if earlier:
        raise AckInvalid(
            f"文件夹 {folder} 里给本机的 {_names(earlier)}都是本库恢复备份或复制之前的回执，已不适用，未做任何更改。"
            "请导出同步包（会自动包含全部数据）交给县里，再使用县里出具的新回执。"
            + "".join(f"\n{n}" for n in result.notes)
        )
    raise AckInvalid(
        f"文件夹 {folder} 里没有给本机（乡镇 {town.code}，设备 {mine[:8]}）的回执，未做任何更改。"
        + "".join(f"\n{n}" for n in result.notes)
    )


def _names(names: list[str]) -> str:
    """``a.ltack`` / ``a.ltack、b.ltack`` / ``a.ltack 等 5 份回执`` — for one summary line."""
    if len(names) == 1:
        return f"回执 {names[0]} "
    if len(names) <= 3:
        return f"回执 {'、'.join(names)} "
    return f"回执 {names[0]} 等 {len(names)} 份"
