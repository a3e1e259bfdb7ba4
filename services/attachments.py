"""Attachments (meeting photos, scanned sign-in sheets): bytes stored once by SHA-256, rows soft-deleted.

The store is the ``attachments/`` folder next to the SQLite file (for other databases: in the user-data
folder), laid out ``attachments/ab/abcdef….jpg``. A file is written to a temporary name, fsynced, renamed
and re-hashed, so a crash never leaves a half-written attachment under its final name; the same bytes
attached twice are stored once.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Attachment, Branch, EvidenceFiling, Meeting, Member, VenueCheck
from models.base import Tracked
from models.enums import Role
from services.errors import LedgerError, NotFound, PermissionDenied, ValidationError, write_failed
from services.org import soft_delete
from services.paths import data_dir
from services.roles import VIEWER_REFUSED, session_role

MAX_BYTES = 50 * 1024 * 1024
KINDS = {"photo": "照片", "signin": "签到表", "scan": "扫描件", "document": "文件"}
OWNERS: dict[str, type[Tracked]] = {
    "meeting": Meeting,
    "member": Member,
    "branch": Branch,
    "venue_check": VenueCheck,  # 八有 photo per item
    "evidence_filing": EvidenceFiling,  # the scanned document filed under a 资料 item
}
_IMAGE_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)


def store_dir(session: Session) -> Path:
    """Where this database keeps attachment bytes."""
    bind = session.get_bind()
    url = bind.engine.url if hasattr(bind, "engine") else None
    if url is not None and url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database or "").resolve().parent / "attachments"
    return data_dir() / "attachments"


def _image_mime(head: bytes) -> str | None:
    for magic, mime in _IMAGE_MAGIC:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


# Suffixes a stored file may carry: opening one with the system's default program runs nothing.
SAFE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".pdf", ".txt", ".docx", ".xlsx"}
)


def blob_path(session: Session, sha256: str, filename: str) -> Path:
    """Where the bytes with this hash are (or go): the file name's suffix only if it is a safe one,
    else ``.bin``; a file stored under another name (by sync, or an older version) is found too."""
    folder = store_dir(session) / sha256[:2]
    own = Path(filename).suffix.lower()[:10]
    preferred = folder / f"{sha256}{own if own in SAFE_SUFFIXES else '.bin'}"
    if preferred.exists() or not folder.is_dir():
        return preferred
    for candidate in (folder / f"{sha256}{own}", *sorted(folder.glob(f"{sha256}.*"))):
        if candidate.is_file() and not candidate.name.endswith(".part") and len(candidate.suffixes) == 1:
            return candidate
    return preferred


def _write_blob(target: Path, data: bytes, sha256: str) -> None:
    if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == sha256:
        return  # stored before: same bytes, nothing to write
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:  # a full disk, a pulled USB drive: say so, leave no .part behind
        tmp.unlink(missing_ok=True)
        raise LedgerError("附件未保存。" + write_failed(target.name, exc)) from exc
    if hashlib.sha256(target.read_bytes()).hexdigest() != sha256:
        target.unlink(missing_ok=True)
        raise LedgerError(f"附件写入后校验失败：{target}。请检查磁盘空间后重试。")


def _owner(session: Session, owner_type: str, owner_id: str) -> Tracked:
    model = OWNERS.get(owner_type)
    if model is None:
        raise ValidationError("owner_type", f"附件不能挂在“{owner_type}”上（可选：{'、'.join(OWNERS)}）。")
    owner = session.get(model, owner_id)
    if owner is None or owner.deleted:
        raise NotFound("找不到附件所属的记录，可能已被删除。")
    return owner


def store_file(
    session: Session, owner_type: str, owner_id: str, path: str | Path, kind: str = "photo", caption: str = ""
) -> Attachment:
    """Attach the file at ``path`` to a record. Photos must really be images (JPEG/PNG/GIF/BMP/WebP)."""
    if session_role(session) == Role.VIEWER:  # refused before a byte is stored
        raise PermissionDenied(VIEWER_REFUSED)
    if kind not in KINDS:
        raise ValidationError("kind", f"未知的附件类别：{kind}（可选：{'、'.join(KINDS)}）。")
    _owner(session, owner_type, owner_id)
    source = Path(path)
    if not source.is_file():
        raise ValidationError("path", f"文件不存在：{source}。")
    size = source.stat().st_size
    if size == 0:
        raise ValidationError("path", f"文件是空的：{source.name}。")
    if size > MAX_BYTES:
        raise ValidationError(
            "path", f"文件 {source.name} 有 {size / 1024 / 1024:.1f} MB，超过 50 MB 上限，请压缩后再添加。"
        )
    data = source.read_bytes()
    mime = _image_mime(data[:16])
    if kind == "photo" and mime is None:
        raise ValidationError("path", f"{source.name} 不是可识别的图片（支持 JPG、PNG、GIF、BMP、WebP）。")
    mime = mime or mimetypes.guess_type(source.name)[0] or "application/octet-stream"
    sha = hashlib.sha256(data).hexdigest()
    _write_blob(blob_path(session, sha, source.name), data, sha)
    attachment = Attachment(
        owner_type=owner_type,
        owner_id=owner_id,
        kind=kind,
        sha256=sha,
        filename=source.name[:255],
        mime=mime,
        size=size,
        caption=caption.strip(),  # longer than 200 characters: refused at the field, not cut
    )
    session.add(attachment)
    session.flush()
    return attachment


def list_attachments(session: Session, owner_type: str, owner_id: str) -> list[Attachment]:
    return list(
        session.scalars(
            select(Attachment)
            .where(
                Attachment.owner_type == owner_type,
                Attachment.owner_id == owner_id,
                Attachment.deleted.is_(False),
            )
            .order_by(Attachment.created_at, Attachment.filename)
        )
    )


def get_attachment(session: Session, attachment_id: str) -> Attachment:
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.deleted:
        raise NotFound("找不到该附件，可能已被移除。")
    return attachment


def remove_attachment(session: Session, attachment_id: str) -> None:
    """Soft delete: the row is marked, the bytes stay (other rows or machines may share them)."""
    soft_delete(get_attachment(session, attachment_id))
    session.flush()


def file_of(session: Session, attachment: Attachment) -> Path:
    """The stored file of an attachment; raises when it is missing from the store."""
    path = blob_path(session, attachment.sha256, attachment.filename)
    if not path.is_file():
        raise LedgerError(f"附件“{attachment.filename}”的文件不在附件目录中：{path}。")
    return path
