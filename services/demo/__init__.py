"""Demo data: a realistic synthetic township (or three) with ten years of records, same seed → same data.

``generate(db, scale, seed)`` writes everything in one transaction: the bulk of the records with Core
bulk inserts, and the organisation set-up a clerk does by hand — party groups and their leaders,
committee terms and seats — through the same services the screens and the CLI use
(``services.groups``, ``services.committee``), so the demo shows only what a user can do. A database
that already holds real records (any township) is refused, so demo data never mixes with real data;
the database is then marked as a demo (``services.demo_marker``).
"""

from __future__ import annotations

import time as clock
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, event, select
from sqlalchemy.orm import Session

from models import Township
from models.enums import MemberState, Role
from services import audit, committee, dbstats, demo_marker, groups
from services.db import Database
from services.demo.layout import BranchPlan, TownshipPlan, plans_for
from services.demo.ledgers import write_ledgers
from services.demo.life import link_admissions, write_admission_meetings, write_life_records
from services.demo.names import People, years_before
from services.demo.people import BranchPeople, build_people
from services.demo.schedule import MeetingWriter, plan_meetings
from services.demo.writer import BulkWriter, DemoRandom, at_time, new_uuid
from services.errors import PermissionDenied, ValidationError
from services.handbook.pack import PackHolder
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
    member_scale: float = 1.0,
) -> DemoSummary:
    """Fill ``db`` with demo data; raises ``ValidationError`` when the demo township already exists.

    ``member_scale`` multiplies every branch's size (members today; at least 3 for a branch that has
    any) after the layout's draws, so 1.0 gives the same data for a seed; benches use it to build a
    county of many small branches (``bench/bench_county_scale.py``).
    """
    if scale not in SCALES:
        raise ValidationError("scale", f"未知的规模：{scale}（可选 small / township / county）。")
    years = DEFAULT_YEARS[scale] if years is None else years
    if not 1 <= years <= 30:
        raise ValidationError("years", f"年数应在 1 到 30 之间，现在是 {years}。")
    check_actor(db.actor, Role.ADMIN, what="生成演示数据")
    from services.county.mode import is_county, township_write_refusal

    with db.reader() as s:
        if is_county(s):  # its township records come only from the townships' packages
            raise PermissionDenied(township_write_refusal("生成演示数据"))
    today = today or date.today()
    started = clock.perf_counter()
    # Records start on the first day of the month after the same month ``years`` ago.
    window_start = (years_before(today, years).replace(day=1) + timedelta(days=31)).replace(day=1)
    start_ms = int(datetime(window_start.year, window_start.month, 1, tzinfo=UTC).timestamp() * 1000)
    rng = DemoRandom(seed, start_ms)
    plans = plans_for(scale, rng, today)
    if not 0.05 <= member_scale <= 1.0:
        raise ValidationError("member_scale", f"支部规模系数应在 0.05 到 1 之间，现在是 {member_scale}。")
    if member_scale != 1.0:
        for plan in plans:
            for bp in plan.branches:
                if bp.size:
                    bp.size = max(3, round(bp.size * member_scale))
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
        real = conn.execute(select(Township.name).where(Township.deleted.is_(False)).limit(1)).first()
        if real is not None and not demo_marker.is_demo_conn(conn):
            raise ValidationError(
                "township",
                f"数据库中已有真实数据（{real[0]}），演示数据不会写入其中。请换一个新的数据库文件。",
            )
        if conn.dialect.name == "sqlite":
            # A bigger page cache keeps the random-UUID indexes in memory during the bulk load.
            conn.exec_driver_sql("PRAGMA cache_size=-262144")
        writer = BulkWriter(conn, user, today)
        people = People(rng)
        session = _service_session(conn, db, user)
        for plan in plans:
            _write_township(writer, session, rng, people, plan, today, window_start, summary)
        writer.flush()
        session.commit()  # the organisation rows' audit entries (the outer transaction stays open)
        made = dict(session.info["demo_created"])
        session.close()
        demo_marker.mark(conn, f"{scale}，种子 {seed}")
        # Core inserts bypass the ORM audit hook: one summary entry per table, same transaction.
        audit.record_bulk(conn, user, writer.counts, f"演示数据（{scale}，种子 {seed}，{years} 年）")
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA cache_size=-2000")
    dbstats.analyze(db.engine)  # table sizes changed by orders of magnitude: refresh the planner's view
    summary.rows = dict(writer.counts)
    for name, n in made.items():
        summary.rows[name] = summary.rows.get(name, 0) + n
    summary.seconds = clock.perf_counter() - started
    return summary


def _service_session(conn: Connection, db: Database, user: str) -> Session:
    """An ORM session on the demo's own connection and transaction, so service writes and bulk rows
    commit (or roll back) together and share one change counter."""
    session = Session(bind=conn)  # joins the open transaction; its commit leaves that open
    session.info["user"] = user
    session.info["role"] = db.actor.role if db.actor else None
    session.info["pack"] = PackHolder.startup().pack  # term lengths, read once
    created: dict[str, int] = {}
    session.info["demo_created"] = created

    def count_new(sess: Session, _ctx: object, _instances: object) -> None:
        for obj in sess.new:
            name = getattr(obj, "__tablename__", "")
            created[name] = created.get(name, 0) + 1

    event.listen(session, "before_flush", count_new)
    return session


def _organise(session: Session, branch_id: str, crowd: BranchPeople, today: date, pack: object) -> None:
    """Terms and seats as a clerk records them: one term per election, seats through the rules."""
    starts = sorted({s.start_on for s in crowd.seats} | ({crowd.term_start} if crowd.term_start else set()))
    for start in starts:
        due = crowd.term_end if start == crowd.term_start else None
        committee.start_term(session, branch_id, start, due_on=due, pack=pack, today=today)
    for seat in sorted(crowd.seats, key=lambda x: (x.start_on, x.role != "secretary")):
        committee.add_seat(
            session,
            branch_id,
            seat.member.id,
            seat.role,
            seat.start_on,
            seat.end_on,
            elected_how="换届选举",
            today=today,
        )
    for g in crowd.groups:
        leader = next((m for m in g.members if m.state == MemberState.ACTIVE and m.group_id == g.id), None)
        if leader is not None:
            groups.set_leader(session, g.id, leader.id)


def _write_township(
    writer: BulkWriter,
    session: Session,
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
    upper_terms: list[tuple[str, date, date]] = []
    for order, bp in enumerate(plan.branches):
        ids[bp.code] = new_uuid(rng)
        crowd = build_people(rng, people, bp, today, window_start) if bp.is_leaf else None
        if crowd is None:  # 党委/党总支: elected on their own cycle
            term_start = today - timedelta(days=rng.randint(100, 1000))
            upper_terms.append((bp.code, term_start, years_before(term_start, -5)))
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
                "term_start": None,  # derived from the term history written below
                "term_end": None,
                "sort_order": order,
            },
            opened,
        )
        summary.profiles[bp.code] = f"{bp.name}：{bp.profile.describe()}" if bp.is_leaf else bp.name
        if crowd is not None:
            crowds.append((bp, crowd))
    writer.flush()  # the branches exist: groups are created through the service, then members refer to them
    for bp, crowd in crowds:
        for g in crowd.groups:
            old = g.id
            founded = max(window_start, bp.founded_on) if bp.founded_on else window_start
            g.id = groups.create_group(session, ids[bp.code], g.name, founded_on=founded, today=today).id
            for m in crowd.members:
                if m.group_id == old:
                    m.group_id = g.id
    for bp, crowd in crowds:
        _write_people(writer, rng, township_id, ids[bp.code], crowd, today, window_start)
    writer.flush()
    for code, start, due in upper_terms:
        committee.start_term(session, ids[code], start, due_on=due, today=today)
    for bp, crowd in crowds:
        _organise(session, ids[bp.code], crowd, today, session.info["pack"])
    session.flush()
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
    writer.flush()  # the records below read the meetings, pipeline and flow records just written
    links = []
    for bp, crowd in crowds:
        links += write_admission_meetings(
            writer, session, rng, people, ids[bp.code], bp, crowd, today, window_start
        )
    writer.flush()
    link_admissions(session, links)
    for bp, _crowd in crowds:
        write_life_records(session, rng, ids[bp.code], bp, today, window_start)


def _write_people(
    writer: BulkWriter,
    rng: DemoRandom,
    township_id: str,
    branch_id: str,
    crowd: BranchPeople,
    today: date,
    window_start: date,
) -> None:
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
                "occupation": m.occupation,
                "is_migrant_worker": m.migrant_worker,
                "is_hardship": m.hardship,
                "state": str(m.state),
                "branch_since": m.branch_since,
                "left_on": m.left_on,
                "notes": "流动党员，外出务工" if m.flowing and m.state == MemberState.ACTIVE else "",
            },
            at_time(entered, rng),
        )
