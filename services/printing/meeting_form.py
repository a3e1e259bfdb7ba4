"""会议记录表: one printed form per meeting.

The facts (type, date, place, host, recorder, who should attend / attended / was on leave / absent,
the quorum line, topics) sit in a ruled grid; the minutes and resolutions follow as ordinary
paragraphs so a long record flows onto the next pages instead of being cut at a table cell; then
the photo thumbnails and the signature lines.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time

from PIL import Image as PILImage
from PIL import ImageOps
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Image,
    KeepTogether,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Attachment, BranchTerm, Meeting, MeetingExclusion, MeetingGuest, Member, PartyGroup
from models.enums import AttendanceStatus, ExclusionGround, MeetingType, label
from services import attachments
from services.committee import ElectionQuorum
from services.errors import LedgerError
from services.meetings import Quorum, kinds_label, quorum
from services.printing.fonts import FONT
from services.printing.layout import FRAME_WIDTH, GRID, SHADE, SectionMark, esc, paragraphs, styles

WEEKDAYS = "一二三四五六日"
THUMB_PX = 640  # long side of an embedded thumbnail: sharp at 50 mm, small in the file
THUMB_WIDTH = (FRAME_WIDTH - 8 * mm) / 3


@dataclass(frozen=True)
class Photo:
    caption: str
    jpeg: bytes | None  # None: the stored file is missing or unreadable
    filename: str


PhotoLoader = Callable[[Session, Attachment], bytes | None]


def load_thumbnail(session: Session, attachment: Attachment) -> bytes | None:
    """A small JPEG of a stored photo; None when its file is missing or not an image."""
    try:
        path = attachments.file_of(session, attachment)
        with PILImage.open(path) as img:
            upright = ImageOps.exif_transpose(img)  # phone photos store their rotation in EXIF
            upright.thumbnail((THUMB_PX, THUMB_PX))
            out = io.BytesIO()
            upright.convert("RGB").save(out, "JPEG", quality=80, optimize=True)
            return out.getvalue()
    except (OSError, ValueError, LedgerError):
        return None


def meeting_photos(
    session: Session, meeting_ids: list[str], loader: PhotoLoader = load_thumbnail
) -> dict[str, list[Photo]]:
    """Photos of many meetings in one query (a booklet prints dozens of forms)."""
    if not meeting_ids:
        return {}
    rows = session.scalars(
        select(Attachment)
        .where(
            Attachment.owner_type == "meeting",
            Attachment.owner_id.in_(meeting_ids),
            Attachment.kind.in_(("photo", "signin")),
            Attachment.deleted.is_(False),
        )
        .order_by(Attachment.created_at, Attachment.filename)
    )
    out: dict[str, list[Photo]] = {}
    for att in rows:
        out.setdefault(att.owner_id, []).append(
            Photo(att.caption or att.filename, loader(session, att), att.filename)
        )
    return out


@dataclass(frozen=True)
class FormContext:
    """What a form needs besides the meeting: names of the people and groups involved."""

    branch_name: str
    members: dict[str, Member]
    groups: dict[str, str]
    photos: dict[str, list[Photo]]  # by meeting id
    guests: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # 列席 (name, unit) by meeting
    excluded: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # 不计入应到会 (name, ground)
    elections: frozenset[str] = frozenset()  # meetings that elected a committee (换届): four-fifths quorum


def election_meetings(session: Session, meeting_ids: list[str]) -> frozenset[str]:
    """Which of the meetings were 换届 elections (a term was opened by them)."""
    if not meeting_ids:
        return frozenset()
    return frozenset(
        str(m)
        for m in session.scalars(
            select(BranchTerm.meeting_id).where(
                BranchTerm.meeting_id.in_(meeting_ids), BranchTerm.deleted.is_(False)
            )
        )
    )


def meeting_exclusions(session: Session, meeting_ids: list[str]) -> dict[str, list[tuple[str, str]]]:
    """Members left out of 应到会 at election meetings: (name, ground label and note) by meeting id."""
    out: dict[str, list[tuple[str, str]]] = {}
    if not meeting_ids:
        return out
    rows = session.execute(
        select(MeetingExclusion.meeting_id, Member.name, MeetingExclusion.ground, MeetingExclusion.note)
        .join(Member, Member.id == MeetingExclusion.member_id)
        .where(MeetingExclusion.meeting_id.in_(meeting_ids), MeetingExclusion.deleted.is_(False))
        .order_by(MeetingExclusion.meeting_id, Member.name)
    )
    for meeting_id, name, ground, note in rows:
        why = label(ExclusionGround(ground)) + (f"，{note}" if note else "")
        out.setdefault(meeting_id, []).append((name, why))
    return out


def meeting_guests(session: Session, meeting_ids: list[str]) -> dict[str, list[tuple[str, str]]]:
    """列席 outsiders (name, unit or title) by meeting id, in their order."""
    out: dict[str, list[tuple[str, str]]] = {}
    if not meeting_ids:
        return out
    rows = session.execute(
        select(MeetingGuest.meeting_id, MeetingGuest.name, MeetingGuest.unit)
        .where(MeetingGuest.meeting_id.in_(meeting_ids), MeetingGuest.deleted.is_(False))
        .order_by(MeetingGuest.meeting_id, MeetingGuest.sort_order)
    )
    for meeting_id, name, unit in rows:
        out.setdefault(meeting_id, []).append((name, unit))
    return out


def cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日（星期{WEEKDAYS[d.weekday()]}）"


def time_span(start: time | None, end: time | None) -> str:
    if start and end:
        return f"{start:%H:%M}—{end:%H:%M}"
    if start:
        return f"{start:%H:%M} 开始"
    return ""


def form_title(meeting: Meeting, ctx: FormContext) -> str:
    kind = kinds_label(meeting.type, meeting.also_types)
    if meeting.type == MeetingType.GROUP and meeting.party_group_id:
        return f"{ctx.branch_name}{ctx.groups.get(meeting.party_group_id, '')}会议记录"
    return f"{ctx.branch_name}{kind}记录"


def _names(entries: list[tuple[str, str]], with_reason: bool) -> str:
    if not entries:
        return "无"
    if with_reason:
        return "、".join(f"{name}（{reason}）" if reason else name for name, reason in entries)
    return "、".join(name for name, _ in entries)


def _quorum_text(q: Quorum | None, election: bool) -> str:
    if q is None:
        return "出席人员中有已删除的党员，无法核算。"
    if election:  # 选举: four-fifths of the members with voting rights (选举工作条例)
        return ElectionQuorum(q.expected_voting, q.present_voting).describe()
    return q.describe()


def form_story(
    meeting: Meeting, ctx: FormContext, mark_key: str | None = None, level: int = 1
) -> list[Flowable]:
    """The flowables of one form; ``mark_key`` records its first page for the catalog."""
    st = styles()
    by_status: dict[str, list[tuple[str, str]]] = {s.value: [] for s in AttendanceStatus}
    for a in meeting.attendance:
        if a.deleted:
            continue
        person = ctx.members.get(a.member_id)
        by_status[a.status].append((person.name if person else "（已删除）", a.reason))
    should = by_status["present"] + by_status["leave"] + by_status["absent"]
    q = quorum(meeting, ctx.members) if all(a.member_id in ctx.members for a in meeting.attendance) else None
    title = form_title(meeting, ctx)

    def p(text: str) -> Paragraph:
        return Paragraph(esc(text).replace("\n", "<br/>"), st.cell)

    rows: list[list[object]] = [
        ["会议类型", kinds_label(meeting.type, meeting.also_types), "会议日期", cn_date(meeting.held_on)],
        ["起止时间", time_span(meeting.start_time, meeting.end_time), "会议地点", p(meeting.place)],
        ["主 持 人", meeting.host, "记 录 人", meeting.recorder],
    ]
    if meeting.lecturer:
        rows.append(["授 课 人", meeting.lecturer, "", ""])
    rows += [
        ["应到人数", f"{len(should)} 人", "实到人数", f"{len(by_status['present'])} 人"],
        ["请假人数", f"{len(by_status['leave'])} 人", "缺席人数", f"{len(by_status['absent'])} 人"],
        ["应到人员", p(_names(should, False)), "", ""],
        ["出席人员", p(_names(by_status["present"], False)), "", ""],
        ["请假人员", p(_names(by_status["leave"], True)), "", ""],
        ["缺席人员", p(_names(by_status["absent"], True)), "", ""],
    ]
    if ctx.excluded.get(meeting.id):
        rows.append(["不计入应到会", p(_names(ctx.excluded[meeting.id], True)), "", ""])
    observers = by_status["observer"] + ctx.guests.get(meeting.id, [])
    if observers:
        rows.append(["列席人员", p(_names(observers, True)), "", ""])
    rows += [
        ["法定人数", p(_quorum_text(q, meeting.id in ctx.elections)), "", ""],
        ["会议议题", p(meeting.topics), "", ""],
    ]
    spans = [i for i, r in enumerate(rows) if r[2] == "" and r[3] == ""]
    cmds: list[tuple[object, ...]] = [
        ("FONT", (0, 0), (-1, -1), FONT, 9.5, 13),
        ("GRID", (0, 0), (-1, -1), 0.6, GRID),
        ("BACKGROUND", (0, 0), (0, -1), SHADE),
        ("ALIGN", (0, 0), (0, -1), "CENTER"),
        ("ALIGN", (2, 0), (2, -1), "CENTER"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ]
    for r, row in enumerate(rows):
        if r in spans:
            cmds.append(("SPAN", (1, r), (3, r)))
        elif row[2]:
            cmds.append(("BACKGROUND", (2, r), (2, r), SHADE))
    label_w = 22 * mm
    grid = Table(
        rows,
        colWidths=[label_w, FRAME_WIDTH / 2 - label_w, label_w, FRAME_WIDTH / 2 - label_w],
        style=TableStyle(cmds),
        splitInRow=1,
    )
    story: list[Flowable] = []
    if mark_key:
        story.append(SectionMark(mark_key, title, level=level))
    story += [Paragraph(esc(title), st.h1), grid]
    story += _text_block("会议记录", meeting.minutes)
    story += _text_block("会议决议", meeting.resolutions)
    story += _photo_block(ctx.photos.get(meeting.id, []))
    story.append(_signatures())
    return story


def _text_block(heading: str, text: str) -> list[Flowable]:
    st = styles()
    body = paragraphs(text, st.body) or [Paragraph("（无）", st.body)]
    # Keep the heading with at least the first lines of its text; the text itself may split freely.
    return [CondPageBreak(st.h2.leading + 3 * st.body.leading), Paragraph(heading, st.h2), *body]


def _photo_block(photos: list[Photo]) -> list[Flowable]:
    if not photos:
        return []
    st = styles()
    cells: list[object] = []
    for photo in photos:
        if photo.jpeg is None:
            cells.append(Paragraph(esc(f"照片文件缺失：{photo.filename}"), st.cell_small))
            continue
        img = Image(io.BytesIO(photo.jpeg))
        scale = min(THUMB_WIDTH / img.imageWidth, 45 * mm / img.imageHeight)
        img.drawWidth, img.drawHeight = img.imageWidth * scale, img.imageHeight * scale
        cells.append([img, Paragraph(esc(photo.caption), st.cell_center)])
    rows = [cells[i : i + 3] + [""] * (3 - len(cells[i : i + 3])) for i in range(0, len(cells), 3)]
    table = Table(
        rows,
        colWidths=[FRAME_WIDTH / 3] * 3,
        style=TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 8, 10),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
            ]
        ),
    )
    return [CondPageBreak(60 * mm), Paragraph("会议照片", st.h2), table]


def _signatures() -> Flowable:
    st = styles()
    line = "＿＿＿＿＿＿＿＿"
    rows = [
        [f"主持人（签字）：{line}", f"记录人（签字）：{line}"],
        [f"审核人（签字）：{line}", "日期：　　　　年　　月　　日"],
    ]
    table = Table(
        rows,
        colWidths=[FRAME_WIDTH / 2] * 2,
        rowHeights=12 * mm,
        style=TableStyle(
            [("FONT", (0, 0), (-1, -1), FONT, 10.5, 14), ("VALIGN", (0, 0), (-1, -1), "BOTTOM")]
        ),
    )
    return KeepTogether([Spacer(1, 6 * mm), Paragraph("签字", st.h2), table])


def form_context(session: Session, meeting: Meeting, branch_name: str) -> FormContext:
    """Context for a single form (the booklet builds one shared context for all its forms)."""
    ids = [a.member_id for a in meeting.attendance]
    members = {m.id: m for m in session.scalars(select(Member).where(Member.id.in_(ids)))}
    groups = dict(
        session.execute(
            select(PartyGroup.id, PartyGroup.name).where(PartyGroup.branch_id == meeting.branch_id)
        ).all()
    )
    photos = meeting_photos(session, [meeting.id])
    return FormContext(
        branch_name,
        members,
        {str(k): str(v) for k, v in groups.items()},
        photos,
        meeting_guests(session, [meeting.id]),
        meeting_exclusions(session, [meeting.id]),
        election_meetings(session, [meeting.id]),
    )
