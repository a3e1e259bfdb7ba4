"""Demo data: a realistic synthetic township (or three) with ten years of records, same seed → same data.

``generate(db, scale, seed)`` writes everything in one transaction with Core bulk inserts; a database
that already holds a township with one of the demo codes is refused, so data is never duplicated.
"""

from __future__ import annotations

import time as clock
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from models import Township
from models.enums import MemberState, Role
from services import audit, dbstats
from services.db import Database
from services.demo.layout import BranchPlan, TownshipPlan, plans_for
from services.demo.ledgers import write_ledgers
from services.demo.names import People, years_before
from services.demo.people import BranchPeople, build_people
from services.demo.schedule import MeetingWriter, plan_meetings
from services.demo.writer import BulkWriter, DemoRandom, at_time, new_uuid
from services.errors import ValidationError
from services.roles import check_actor

SCALES = ("small", "township", "county")
DEFAULT_YEARS = {"small": 2, "township": 10, "county": 10}


@dataclass
class DemoSummary:
    scale: str
    seed: int
    years: int
    townships: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    profiles: dict[str, str] = field(default_factory=dict)  # branch code → how it keeps records
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def generate(
    db: Database,
    scale: str = "township",
    seed: int = 1,
    years: int | None = None,
    today: date | None = None,
    user: str = "demo",
) -> DemoSummary:
    """Fill ``db`` with demo data; raises ``ValidationError`` when the demo township already exists."""
    if scale not in SCALES:
        raise ValidationError("scale", f"未知的规模：{scale}（可选 small / township / county）。")
    years = DEFAULT_YEARS[scale] if years is None else years
    if not 1 <= years <= 30:
        raise ValidationError("years", f"年数应在 1 到 30 之间，现在是 {years}。")
    check_actor(db.actor, Role.ADMIN, what="生成演示数据")
    today = today or date.today()
    started = clock.perf_counter()
    # Records start on the first day of the month after the same month ``years`` ago.
    window_start = (years_before(today, years).replace(day=1) + timedelta(days=31)).replace(day=1)
    start_ms = int(datetime(window_start.year, window_start.month, 1, tzinfo=UTC).timestamp() * 1000)
    rng = DemoRandom(seed, start_ms)
    plans = plans_for(scale, rng, today)
    summary = DemoSummary(scale=scale, seed=seed, years=years)
    with db.engine.begin() as conn:
        codes = [p.code for p in plans]
        taken = conn.execute(select(Township.code, Township.name).where(Township.code.in_(codes))).all()
        if taken:
            names = "、".join(f"{name}（{code}）" for code, name in taken)
            raise ValidationError(
                "township",
                f"数据库中已有乡镇 {names}，演示数据不会重复生成。请换一个数据库文件（--db 新文件路径）。",
            )
        if conn.dialect.name == "sqlite":
            # A bigger page cache keeps the random-UUID indexes in memory during the bulk load.
            conn.exec_driver_sql("PRAGMA cache_size=-262144")
        writer = BulkWriter(conn, user)
        people = People(rng)
        for plan in plans:
            _write_township(writer, rng, people, plan, today, window_start, summary)
        writer.flush()
        # Core inserts bypass the ORM audit hook: one summary entry per table, same transaction.
        audit.record_bulk(conn, user, writer.counts, f"演示数据（{scale}，种子 {seed}，{years} 年）")
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA cache_size=-2000")
    dbstats.analyze(db.engine)  # table sizes changed by orders of magnitude: refresh the planner's view
    summary.rows = dict(writer.counts)
    summary.seconds = clock.perf_counter() - started
    return summary


def _write_township(
    writer: BulkWriter,
    rng: DemoRandom,
    people: People,
    plan: TownshipPlan,
    today: date,
    window_start: date,
    summary: DemoSummary,
) -> None:
    opened = at_time(window_start, rng)
    township_id = new_uuid(rng)
    writer.add(
        "township", {"id": township_id, "code": plan.code, "name": plan.name, "county": plan.county}, opened
    )
    summary.townships.append(f"{plan.name}（{plan.code}）")
    ids: dict[str, str] = {}
    crowds: list[tuple[BranchPlan, BranchPeople]] = []
    for order, bp in enumerate(plan.branches):
        ids[bp.code] = new_uuid(rng)
        crowd = build_people(rng, people, bp, today, window_start) if bp.is_leaf else None
        term_start = crowd.term_start if crowd else None
        term_end = crowd.term_end if crowd else None
        if crowd is None:  # 党委/党总支: elected on their own cycle
            term_start = today - timedelta(days=rng.randint(100, 1000))
            term_end = years_before(term_start, -5)
        writer.add(
            "branch",
            {
                "id": ids[bp.code],
                "township_id": township_id,
                "parent_id": ids[bp.parent_code] if bp.parent_code else None,
                "code": bp.code,
                "name": bp.name,
                "kind": str(bp.kind),
                "domain": str(bp.domain),
                "founded_on": bp.founded_on,
                "term_start": term_start,
                "term_end": term_end,
                "sort_order": order,
            },
            opened,
        )
        summary.profiles[bp.code] = f"{bp.name}：{bp.profile.describe()}" if bp.is_leaf else bp.name
        if crowd is not None:
            crowds.append((bp, crowd))
    for bp, crowd in crowds:
        _write_people(writer, rng, township_id, ids[bp.code], crowd, today, window_start)
    for bp, crowd in crowds:
        mw = MeetingWriter(rng, people, ids[bp.code], bp, crowd, today)
        for pm in plan_meetings(rng, bp, crowd, today, window_start):
            built = mw.build(pm, new_uuid(rng), lambda: new_uuid(rng))
            if built is None:
                continue
            at = at_time(built.recorded_on, rng)
            writer.add("meeting", built.row, at)
            for row in built.attendance:
                writer.add("attendance", row, at)
    for bp, crowd in crowds:
        write_ledgers(writer, rng, people, township_id, ids[bp.code], bp, crowd, today, window_start)


def _write_people(
    writer: BulkWriter,
    rng: DemoRandom,
    township_id: str,
    branch_id: str,
    crowd: BranchPeople,
    today: date,
    window_start: date,
) -> None:
    opened = at_time(window_start, rng)
    for g in crowd.groups:
        writer.add(
            "party_group", {"id": g.id, "branch_id": branch_id, "name": g.name, "sort_order": g.order}, opened
        )
    for m in crowd.members:
        entered = min(today, max(window_start, m.branch_since) + timedelta(days=rng.randint(0, 10)))
        writer.add(
            "member",
            {
                "id": m.id,
                "township_id": township_id,
                "branch_id": branch_id,
                "party_group_id": m.group_id,
                "name": m.name,
                "gender": "male" if m.male else "female",
                "ethnicity": m.ethnicity,
                "birth_date": m.birth,
                "id_number": m.id_number,
                "education": m.education,
                "phone": m.phone,
                "joined_on": m.joined_on,
                "full_member_on": m.full_on,
                "status": str(m.status),
                "discipline": str(m.discipline),
                "is_flowing": m.flowing,
                "state": str(m.state),
                "branch_since": m.branch_since,
                "left_on": m.left_on,
                "notes": "流动党员，外出务工" if m.flowing and m.state == MemberState.ACTIVE else "",
            },
            at_time(entered, rng),
        )
    for s in crowd.seats:
        writer.add(
            "committee_seat",
            {
                "id": s.id,
                "branch_id": branch_id,
                "member_id": s.member.id,
                "role": s.role,
                "start_on": s.start_on,
                "end_on": s.end_on,
            },
            at_time(min(today, max(window_start, s.start_on)), rng),
        )
