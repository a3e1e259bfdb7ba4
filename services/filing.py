"""资料归档: file a scanned document or photo under a 资料 item of the handbook catalog."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Attachment, EvidenceFiling
from services.attachments import store_file
from services.errors import ValidationError
from services.org import get_branch
from services.sqlsets import among

if TYPE_CHECKING:
    from services.handbook.pack import Pack


def file_evidence(
    session: Session,
    branch_id: str,
    catalog_item: str,
    year: int,
    title: str,
    attachment_id: str | None,
    filed_on: date,
    known_items: set[str] | None = None,
    needs_file: set[str] | None = None,
) -> EvidenceFiling:
    """``known_items``: the pack's 资料 codes; an unknown code is refused so the tree stays whole.
    ``needs_file``: items that count only with their evidence (the star rating's highlights): filing
    one without a file is refused (``ValidationError`` on ``attachment_id``)."""
    get_branch(session, branch_id)
    if needs_file and catalog_item in needs_file and attachment_id is None:
        raise ValidationError("attachment_id", "亮点须附佐证材料（扫描件或照片），不能只登记名称。")
    if not catalog_item.strip():
        raise ValidationError("catalog_item", "请选择归入的资料目录。")
    if known_items is not None and catalog_item not in known_items:
        raise ValidationError("catalog_item", f"资料目录中没有 {catalog_item} 这一项。")
    if not title.strip():
        raise ValidationError("title", "请填写资料名称。")
    if not 1949 <= year <= filed_on.year + 1:
        raise ValidationError("year", f"年度不合理：{year}。")
    if attachment_id is not None:
        att = session.get(Attachment, attachment_id)
        if att is None or att.deleted:
            raise ValidationError("attachment_id", "找不到要归档的文件。")
    row = EvidenceFiling(
        branch_id=branch_id,
        catalog_item=catalog_item,
        year=year,
        title=title.strip(),
        attachment_id=attachment_id,
        filed_on=filed_on,
    )
    session.add(row)
    session.flush()
    return row


def filed_items(session: Session, branch_id: str, year: int) -> dict[str, list[EvidenceFiling]]:
    """Filings per catalog item, for the catalog tree."""
    out: dict[str, list[EvidenceFiling]] = defaultdict(list)
    for row in session.scalars(
        select(EvidenceFiling).where(
            EvidenceFiling.branch_id == branch_id,
            EvidenceFiling.year == year,
            EvidenceFiling.deleted.is_(False),
        )
    ):
        out[row.catalog_item].append(row)
    return dict(out)


def highlight_items(pack: Pack) -> set[str]:
    """The 资料 codes the star rating's highlights are earned under (they need a file)."""
    return {h.evidence for h in pack.stars.feature.highlight}


def catalog_codes(pack: Pack) -> set[str]:
    """The 资料 codes a document may be filed under (``known_items`` for :func:`file_evidence`)."""
    return {e.id for e in pack.evidence}


def file_document(
    session: Session,
    branch_id: str,
    catalog_item: str,
    year: int,
    title: str,
    path: str | Path,
    filed_on: date,
    known_items: set[str] | None = None,
) -> EvidenceFiling:
    """Store the file at ``path`` (a scan or photo) and file it under ``catalog_item``, in one transaction.

    The filing is written first so the attachment can belong to it (``owner_type`` ``evidence_filing``);
    any refusal (unknown item, empty or missing file) rolls both back with the caller's transaction.
    """
    row = file_evidence(session, branch_id, catalog_item, year, title, None, filed_on, known_items)
    attachment = store_file(session, "evidence_filing", row.id, path, kind="scan", caption=title)
    row.attachment_id = attachment.id
    session.flush()
    return row


def filed_by_item(
    session: Session, branch_ids: list[str], first_year: int, last_year: int
) -> dict[tuple[str, str], int]:
    """(branch id, 资料 code) → documents filed for the years ``first_year``..``last_year``."""
    if not branch_ids:
        return {}
    stmt = (
        select(EvidenceFiling.branch_id, EvidenceFiling.catalog_item, func.count())
        .where(
            EvidenceFiling.deleted.is_(False),
            among(session, EvidenceFiling.branch_id, branch_ids),
            EvidenceFiling.year >= first_year,
            EvidenceFiling.year <= last_year,
        )
        .group_by(EvidenceFiling.branch_id, EvidenceFiling.catalog_item)
    )
    return {(b, item): int(n) for b, item, n in session.execute(stmt)}


def filed_with_file(
    session: Session, branch_ids: list[str], items: list[str], first_year: int, last_year: int
) -> dict[tuple[str, str], int]:
    """(branch id, 资料 code) → documents filed under ``items`` for the years that carry a file (a
    highlight counts only with its evidence). One query."""
    if not branch_ids or not items:
        return {}
    stmt = (
        select(EvidenceFiling.branch_id, EvidenceFiling.catalog_item, func.count())
        .join(Attachment, Attachment.id == EvidenceFiling.attachment_id)
        .where(
            EvidenceFiling.deleted.is_(False),
            Attachment.deleted.is_(False),
            among(session, EvidenceFiling.branch_id, branch_ids),
            EvidenceFiling.catalog_item.in_(items),
            EvidenceFiling.year >= first_year,
            EvidenceFiling.year <= last_year,
        )
        .group_by(EvidenceFiling.branch_id, EvidenceFiling.catalog_item)
    )
    return {(b, item): int(n) for b, item, n in session.execute(stmt)}


@dataclass(frozen=True)
class FiledDocument:
    """One filed document as the catalog tree lists it under its 资料 item."""

    id: str
    catalog_item: str
    title: str
    year: int
    filed_on: date
    attachment_id: str | None
    filename: str


def filed_documents(
    session: Session, branch_id: str, first_year: int, last_year: int
) -> dict[str, list[FiledDocument]]:
    """资料 code → documents filed for the branch in ``first_year``..``last_year``, oldest first."""
    stmt = (
        select(EvidenceFiling, Attachment.filename)
        .outerjoin(
            Attachment, (Attachment.id == EvidenceFiling.attachment_id) & Attachment.deleted.is_(False)
        )
        .where(
            EvidenceFiling.branch_id == branch_id,
            EvidenceFiling.deleted.is_(False),
            EvidenceFiling.year >= first_year,
            EvidenceFiling.year <= last_year,
        )
        .order_by(EvidenceFiling.filed_on, EvidenceFiling.title)
    )
    out: dict[str, list[FiledDocument]] = defaultdict(list)
    for row, filename in session.execute(stmt):
        out[row.catalog_item].append(
            FiledDocument(
                row.id,
                row.catalog_item,
                row.title,
                row.year,
                row.filed_on,
                row.attachment_id if filename is not None else None,
                filename or "",
            )
        )
    return dict(out)
