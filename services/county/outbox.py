"""The return channel, county side: notices (通知) and handbook pack updates the county issues, and
conflict decisions, all travelling to the townships inside the next signed acknowledgement.

Each item is a row of ``county_outbox``; ``items_for_ack`` picks what one township's acknowledgement
carries (see docs/sync-package.md, *Return channel*). The acknowledgement's Ed25519 signature covers
the items, so a township that verifies it against the county key it pinned knows they come from the
county. The township side is ``services.sync.inbox``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import CountyOutbox, utcnow
from services.county.mode import county_action
from services.db import Database
from services.errors import ValidationError
from services.rowviews import view_json, view_of

NOTICE = "notice"
PACK = "pack"
DECISION = "decision"
KIND_LABELS = {NOTICE: "通知", PACK: "手册包更新", DECISION: "冲突处理结果"}

MAX_TITLE = 200
MAX_TEXT = 20_000
MAX_ATTACHMENT_BYTES = 5 << 20  # one notice attachment, bytes
MAX_NOTICE_BYTES = 10 << 20  # all attachments of one notice, bytes
MAX_ATTACHMENTS = 10
MAX_PACK_BYTES = 2 << 20
WINDOW_DAYS = 180  # notices and decisions travel in every acknowledgement for this many days
SAFE_NAME = re.compile(r"[^\w.\-（）()]+")


@dataclass
class OutboxView:
    """One item the county has issued. ``township_code`` "" = every township; ``created_at`` UTC."""

    id: str
    kind: str
    title: str
    township_code: str
    created_at: datetime
    created_by: str
    payload: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        body = {k: v for k, v in self.payload.items() if k not in ("toml", "attachments")}
        if "attachments" in self.payload:
            body["attachments"] = [
                {"name": a["name"], "size": a["size"], "sha256": a["sha256"]}
                for a in self.payload["attachments"]
            ]
        return view_json(
            self,
            labels={"kind": KIND_LABELS},
            local=("created_at",),
            keys={"township_code": "township"},
            payload=body,
        )


def _view(row: CountyOutbox) -> OutboxView:
    return view_of(OutboxView, row, decode=("payload",))


def version_key(version: str) -> tuple[int, ...]:
    """``"2026.10"`` → ``(2026, 10)``: pack versions compare by their numbers, left to right."""
    return tuple(int(n) for n in re.findall(r"\d+", version))


def _add(s: Session, kind: str, title: str, payload: dict[str, Any], township: str = "") -> OutboxView:
    row = CountyOutbox(
        id=str(uuid.uuid4()),
        kind=kind,
        title=title[:MAX_TITLE],
        township_code=township,
        payload=json.dumps(payload, ensure_ascii=False, sort_keys=True),
        created_at=utcnow(),
        created_by=str(s.info.get("user", "")),
    )
    s.add(row)
    s.flush()
    return _view(row)


def publish_pack(db: Database, path: Path, *, user: str = "") -> OutboxView:
    """Issue a handbook pack update to every township (``county pack-publish``).

    The file must be a valid pack (``services.handbook.pack.load_pack``: every problem listed, Chinese),
    at most ``MAX_PACK_BYTES``, and newer than any version of the same pack id issued before
    (``version_key``). Raises ``PackError`` / ``ValidationError("pack", …)``; nothing is written then.
    County database only; refused for a 查阅 user; audited (``county_pack_published``).
    """
    from services.handbook.pack import load_pack

    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ValidationError("pack", f"找不到手册包文件 {path}：{exc.strerror}。") from exc
    if size > MAX_PACK_BYTES:
        raise ValidationError(
            "pack", f"手册包文件 {path.name} 有 {size} 字节，超过上限 {MAX_PACK_BYTES} 字节。"
        )
    pack = load_pack(path)  # PackError lists every problem
    text = path.read_text(encoding="utf-8")
    info = pack.pack
    if not version_key(info.version):
        raise ValidationError(
            "pack", f"手册包的版本号“{info.version}”里没有数字，无法判断新旧，请写成如 2026.2。"
        )
    with county_action(
        db, "发布手册包更新", "county_pack_published", {"pack": info.id, "version": info.version}, user=user
    ) as s:
        for row in s.scalars(select(CountyOutbox).where(CountyOutbox.kind == PACK)):
            old = json.loads(row.payload)
            if old.get("pack_id") == info.id and version_key(str(old.get("version"))) >= version_key(
                info.version
            ):
                raise ValidationError(
                    "pack",
                    f"手册包 {info.name} 的版本 {info.version} 不比已发布的版本 {old.get('version')} 新，未发布。"
                    "请在手册包文件的 [pack] version 中写一个更大的版本号。",
                )
        payload = {
            "pack_id": info.id,
            "name": info.name,
            "version": info.version,
            "toml": text,
            "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        }
        return _add(s, PACK, f"{info.name} {info.version}", payload)


def publish_notice(
    db: Database,
    title: str,
    text: str,
    *,
    attachments: list[Path] | None = None,
    due: date | None = None,
    township: str = "",
    user: str = "",
) -> OutboxView:
    """Issue a notice (通知) to every township, or to one (``township`` code).

    ``title`` 1–200 characters, ``text`` ≤ 20,000; ``due`` a local calendar date (or None); at most
    10 attachments, each ≤ 5 MiB and together ≤ 10 MiB (checked here, at the county, before anything
    is written). Raises ``ValidationError(field, message)`` naming title / text / attach / due.
    County database only; refused for a 查阅 user; audited (``county_notice_published``).
    """
    from services import textclean

    title = textclean.clean_free(title).strip()
    if not title:
        raise ValidationError("title", "通知标题不能为空。")
    if len(title) > MAX_TITLE:
        raise ValidationError("title", f"通知标题最多 {MAX_TITLE} 个字，现在有 {len(title)} 个。")
    if len(text) > MAX_TEXT:
        raise ValidationError("text", f"通知正文最多 {MAX_TEXT} 个字，现在有 {len(text)} 个。")
    if due is not None and due < date.today() - timedelta(days=1):
        raise ValidationError("due", f"截止日期 {due.isoformat()} 已经过去，请填写今天或以后的日期。")
    files = list(attachments or [])
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError("attach", f"一个通知最多带 {MAX_ATTACHMENTS} 个附件，现在有 {len(files)} 个。")
    packed: list[dict[str, Any]] = []
    total = 0
    for f in files:
        f = Path(f)
        try:
            size = f.stat().st_size
        except OSError as exc:
            raise ValidationError("attach", f"找不到附件 {f}：{exc.strerror}。") from exc
        if size > MAX_ATTACHMENT_BYTES:
            raise ValidationError(
                "attach",
                f"附件 {f.name} 有 {size / (1 << 20):.1f} MB，超过每个附件 {MAX_ATTACHMENT_BYTES >> 20} MB 的上限"
                "（附件随回执经 U 盘带回乡镇）。请压缩或拆分后再发。",
            )
        total += size
        if total > MAX_NOTICE_BYTES:
            raise ValidationError(
                "attach", f"附件合计超过 {MAX_NOTICE_BYTES >> 20} MB 的上限，请减少附件或分成几个通知发送。"
            )
        data = f.read_bytes()
        packed.append(
            {
                "name": SAFE_NAME.sub("_", f.name)[:120] or "附件",
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "data": base64.b64encode(data).decode("ascii"),
            }
        )
    payload = {
        "title": textclean.clean_free(title),
        "text": textclean.clean_free(text),
        "due": due.isoformat() if due else None,
        "attachments": packed,
    }
    with county_action(
        db,
        "发布通知",
        "county_notice_published",
        {"title": title, "township": township, "attachments": len(packed), "due": payload["due"]},
        user=user,
    ) as s:
        return _add(s, NOTICE, title, payload, township)


def record_decision(s: Session, township: str, payload: dict[str, Any]) -> OutboxView:
    """Queue a conflict decision for ``township`` (inside the caller's transaction; see
    ``services.sync.conflicts.merge`` for the payload)."""
    return _add(s, DECISION, f"冲突 #{payload['conflict_id']} {payload['table']}", payload, township)


def list_outbox(session: Session) -> list[OutboxView]:
    """Everything the county has issued, newest first (read-only, any role)."""
    return [_view(r) for r in session.scalars(select(CountyOutbox).order_by(CountyOutbox.created_at.desc()))]


def items_for_ack(session: Session, township_code: str) -> list[dict[str, Any]]:
    """What one township's acknowledgement carries: its notices and decisions of the last
    ``WINDOW_DAYS`` days, and the newest pack update of each pack id (any age). The township keeps
    each item once (by id), so carrying it again costs only bytes."""
    since = utcnow() - timedelta(days=WINDOW_DAYS)
    rows = session.scalars(
        select(CountyOutbox)
        .where(CountyOutbox.township_code.in_(["", township_code]))
        .order_by(CountyOutbox.created_at)
    ).all()
    newest_pack: dict[str, CountyOutbox] = {}
    out: list[CountyOutbox] = []
    for r in rows:
        if r.kind == PACK:
            pid = str(json.loads(r.payload).get("pack_id"))
            newest_pack[pid] = r
        elif r.created_at >= since:
            out.append(r)
    out.extend(newest_pack.values())
    return [
        {
            "id": r.id,
            "kind": r.kind,
            "title": r.title,
            "issued_at": r.created_at.isoformat(timespec="seconds") + "Z",
            "payload": json.loads(r.payload),
        }
        for r in out
    ]


@dataclass
class UpdateAck:
    """One acknowledgement-only update written for a device: the file, the township and the number of
    county items (notices, pack updates, decisions) it carries."""

    file_name: str
    township_code: str
    device_id: str
    items: int


def write_update_acks(db: Database, folder: Path, *, township: str = "", user: str = "") -> list[UpdateAck]:
    """Write a fresh signed acknowledgement for the latest stream of every device the county has received
    packages from (of ``township``, a code, or of every township) into ``folder`` (a USB stick), so that
    notices and pack updates issued **after** the last acknowledgement reach a township that has no new
    package to send. Each is an ordinary acknowledgement (``services.sync.ack.write_ack``: signed with the
    county key, read back and verified); its ``received_through`` is what the county already confirmed,
    so the township (``sync ack``) marks nothing new as delivered and stores the new items once each.

    Devices whose key the county revoked are skipped. Raises ``ValidationError("folder")`` for a folder
    that does not exist, ``ValidationError("township")`` when no device of ``township`` (or none at all)
    has sent a package yet; ``NotCounty``/``PermissionDenied`` as every county action. Audited
    (``county_update_acks``)."""
    from models import SyncDevice, SyncEnrollment
    from services.sync.ack import write_ack

    folder = Path(folder)
    if not folder.is_dir():
        raise ValidationError("folder", f"文件夹不存在：{folder}。请先插入 U 盘并选择正确的文件夹。")
    detail: dict[str, Any] = {"folder": str(folder), "township": township}
    with county_action(db, "写出更新回执", "county_update_acks", detail, user=user) as s:
        revoked = set(s.scalars(select(SyncEnrollment.public_key).where(SyncEnrollment.status == "revoked")))
        latest: dict[str, SyncDevice] = {}
        for device in s.scalars(select(SyncDevice).order_by(SyncDevice.last_seen.desc())):
            if township and device.township_code != township:
                continue
            if device.public_key and device.public_key in revoked:
                continue
            latest.setdefault(device.device_id.split(".")[0], device)
        streams = [(d.device_id, d.township_code) for d in latest.values()]
        if not streams:
            where = f"乡镇 {township} 的设备" if township else "任何乡镇的设备"
            raise ValidationError(
                "township",
                f"本库还没有收到过{where}的同步包，无法写出回执；通知和手册包更新会随该乡镇第一次同步的回执送达。",
            )
        detail["devices"] = len(streams)
    out = []
    for stream, code in sorted(streams, key=lambda x: (x[1], x[0])):
        ack = write_ack(db, stream, folder)
        out.append(UpdateAck(ack.file_name, code, stream, len(ack.payload.get("county_items") or [])))
    return out
