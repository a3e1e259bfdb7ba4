"""The yearly branch booklet (cover + catalog + ledger sections + meeting forms) and the single form."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from reportlab.platypus import Flowable, PageBreak, Paragraph
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Branch, Member, PartyGroup, Township
from services import audit
from services.errors import ValidationError
from services.handbook.pack import Ledger
from services.meetings import get_meeting, kinds_label
from services.org import get_branch
from services.printing import sections
from services.printing.catalog import CatalogEntry, catalog_story
from services.printing.cover import CoverInfo, cover_story
from services.printing.layout import Rendered, RunningHead, RunningTitle, SectionMark, esc, render, styles
from services.printing.meeting_form import (
    FormContext,
    PhotoLoader,
    election_meetings,
    form_context,
    form_story,
    load_thumbnail,
    meeting_exclusions,
    meeting_guests,
)
from services.printing.meeting_form import meeting_photos as load_photos
from services.printing.output import write_pdf

FORMS_KEY = "forms"


@dataclass
class BookletOptions:
    volume: int = 1
    keeper: str = ""
    ledger_name: str = ""  # default: 「<branch>工作台账」
    made_on: date | None = None
    ledgers: list[Ledger] | None = None  # None: the ledgers of the handbook pack in use
    extra_sections: list[sections.SectionSpec] | None = None  # None: every registered section
    include_forms: bool = True
    photo_loader: PhotoLoader = field(default=load_thumbnail)


def _head(township: Township, branch: Branch) -> RunningHead:
    return RunningHead(f"{township.name} · {branch.name}", branch.name)


def check_year(year: int) -> None:
    if not 1921 <= year <= date.today().year + 1:
        raise ValidationError("year", f"年度 {year} 不合理，请输入四位数年份，例如 {date.today().year}。")


def build_branch_booklet(
    session: Session, branch_id: str, year: int, options: BookletOptions | None = None
) -> Rendered:
    """Lays out the whole yearly booklet of one branch; the catalog shows where each part really starts."""
    opts = options or BookletOptions()
    check_year(year)
    branch = get_branch(session, branch_id)
    township = session.get(Township, branch.township_id)
    assert township is not None
    data = sections.BookletData(session, branch, township, year)
    declared = opts.ledgers if opts.ledgers is not None else sections.pack_ledgers()
    plan = sections.plan(declared, opts.extra_sections)
    meetings = data.meetings if opts.include_forms else []

    built: list[tuple[sections.LedgerPlan, list[tuple[sections.SectionSpec, list[Flowable]]]]] = [
        (lp, [(spec, spec.build(data)) for spec in lp.sections]) for lp in plan
    ]
    entries: list[CatalogEntry] = []
    for lp, specs in built:
        entries.append(CatalogEntry(f"ledger.{lp.code}", lp.name, level=1))
        entries += [CatalogEntry(f"sec.{spec.code}", spec.title) for spec, _ in specs]
    form_ctx: FormContext | None = None
    if meetings:
        entries.append(CatalogEntry(FORMS_KEY, "会议记录", level=1))
        entries += [
            CatalogEntry(
                f"meeting.{m.id}",
                f"{kinds_label(m.type, m.also_types)}：{_one_line(m.topics)}",
                date=m.held_on.isoformat(),
            )
            for m in meetings
        ]
        form_ctx = _booklet_form_context(session, data, [m.id for m in meetings], opts.photo_loader)
    cover = CoverInfo(
        township=township.name,
        branch=branch.name,
        year=year,
        ledger_name=opts.ledger_name or f"{branch.name}工作台账",
        volume=opts.volume,
        keeper=opts.keeper,
        date_from=min((m.held_on for m in data.meetings), default=data.start),
        date_to=max((m.held_on for m in data.meetings), default=data.end),
        made_on=opts.made_on or date.today(),
        audit_anchor=audit.anchor(session),
    )
    st = styles()

    def story() -> list[Flowable]:
        out: list[Flowable] = [*cover_story(cover), *catalog_story(entries)]
        for lp, specs in built:
            for i, (spec, flowables) in enumerate(specs):
                out.append(PageBreak())
                if i == 0:
                    out.append(SectionMark(f"ledger.{lp.code}", lp.name, level=0))
                out.append(SectionMark(f"sec.{spec.code}", spec.title, level=1))
                out.append(RunningTitle(f"{lp.name} · {spec.title}"))
                out.append(Paragraph(esc(lp.name), st.note))
                out.append(Paragraph(esc(spec.title), st.h1))
                out += flowables
        if form_ctx is not None:
            for i, m in enumerate(meetings):
                out.append(PageBreak())
                if i == 0:
                    out.append(SectionMark(FORMS_KEY, "会议记录", level=0))
                out += form_story(m, form_ctx, mark_key=f"meeting.{m.id}")
        return out

    return render(story(), _head(township, branch), title=cover.ledger_name, with_cover=True)


def _one_line(text: str, limit: int = 40) -> str:
    line = " ".join((text or "").split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _booklet_form_context(
    session: Session, data: sections.BookletData, meeting_ids: list[str], loader: PhotoLoader
) -> FormContext:
    members = {m.id: m for m in session.scalars(select(Member).where(Member.branch_id == data.branch.id))}
    others = {a.member_id for m in data.meetings for a in m.attendance} - members.keys()
    if others:  # observers (列席) from other branches
        members.update({m.id: m for m in session.scalars(select(Member).where(Member.id.in_(others)))})
    groups = {
        g.id: g.name
        for g in session.scalars(select(PartyGroup).where(PartyGroup.branch_id == data.branch.id))
    }
    return FormContext(
        data.branch.name,
        members,
        groups,
        load_photos(session, meeting_ids, loader),
        meeting_guests(session, meeting_ids),
        meeting_exclusions(session, meeting_ids),
        election_meetings(session, meeting_ids),
    )


def build_meeting_form(session: Session, meeting_id: str) -> Rendered:
    meeting = get_meeting(session, meeting_id)
    branch = get_branch(session, meeting.branch_id)
    township = session.get(Township, branch.township_id)
    assert township is not None
    ctx = form_context(session, meeting, branch.name)
    title = (
        f"{branch.name}{kinds_label(meeting.type, meeting.also_types)}记录（{meeting.held_on.isoformat()}）"
    )
    return render(form_story(meeting, ctx, mark_key="form", level=0), _head(township, branch), title=title)


@dataclass(frozen=True)
class PrintResult:
    path: Path
    pages: int
    size: int
    warning: str = ""  # e.g. characters the font cannot draw

    def describe(self) -> str:
        text = f"已生成 {self.path}：共 {self.pages} 页，{self.size / 1024:.0f} KB"
        return f"{text}\n{self.warning}" if self.warning else text


def save(rendered: Rendered, out: str | Path) -> PrintResult:
    path = write_pdf(rendered.data, out, rendered.pages)
    return PrintResult(path, rendered.pages, len(rendered.data), rendered.glyph_warning())


def print_branch_booklet(
    session: Session, branch_id: str, year: int, out: str | Path, options: BookletOptions | None = None
) -> PrintResult:
    return save(build_branch_booklet(session, branch_id, year, options), out)


def print_meeting_form(session: Session, meeting_id: str, out: str | Path) -> PrintResult:
    return save(build_meeting_form(session, meeting_id), out)
