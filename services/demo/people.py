"""Members, party groups and committee seats of one demo branch, with ten years of history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from models.enums import BranchDomain, CommitteeRole, Discipline, MemberState, MemberStatus
from services.dates import add_years, age_on
from services.demo.layout import BranchPlan
from services.demo.names import People, years_before
from services.demo.writer import DemoRandom, new_uuid

_CN = "一二三四五六七八九十"
_EDUCATED = (BranchDomain.ORGAN, BranchDomain.SCHOOL, BranchDomain.HOSPITAL)
# (age from, age to, weight) of members today, by domain.
_AGES = {
    "rural": ((20, 35, 12), (36, 50, 25), (51, 65, 30), (66, 90, 33)),
    "community": ((22, 35, 15), (36, 50, 25), (51, 65, 30), (66, 90, 30)),
    "educated": ((23, 35, 35), (36, 50, 40), (51, 60, 25)),
    "firm": ((25, 35, 50), (36, 50, 50)),
}


@dataclass
class DemoMember:
    id: str
    name: str
    male: bool
    birth: date
    id_number: str
    ethnicity: str
    education: str
    phone: str
    joined_on: date
    full_on: date | None
    branch_since: date
    status: str = MemberStatus.FULL
    discipline: str = Discipline.NONE
    flowing: bool = False
    occupation: str = ""
    migrant_worker: bool = False
    hardship: bool = False
    state: str = MemberState.ACTIVE
    left_on: date | None = None
    group_id: str | None = None

    def in_branch(self, day: date) -> bool:
        """Same test as services.members.members_on: who should attend a meeting on ``day``."""
        return (
            self.branch_since <= day
            and self.joined_on <= day
            and (self.left_on is None or day < self.left_on)
        )

    def full_on_day(self, day: date) -> bool:
        return self.full_on is not None and self.full_on <= day

    @property
    def can_vote(self) -> bool:
        """Voting rights as services.meetings.quorum counts them (current status)."""
        return self.status == MemberStatus.FULL and self.discipline != Discipline.PROBATION


@dataclass
class Seat:
    id: str
    member: DemoMember
    role: str
    start_on: date
    end_on: date | None


@dataclass
class Group:
    id: str
    name: str
    order: int
    members: list[DemoMember] = field(default_factory=list)


@dataclass
class BranchPeople:
    members: list[DemoMember]
    groups: list[Group]
    seats: list[Seat]
    term_start: date | None
    term_end: date | None

    def seats_on(self, day: date) -> list[Seat]:
        return [s for s in self.seats if s.start_on <= day and (s.end_on is None or day < s.end_on)]


def _age_band(domain: str) -> str:
    if domain in _EDUCATED:
        return "educated"
    if domain in (BranchDomain.RURAL, BranchDomain.COMMUNITY):
        return str(domain)
    return "firm"


def _member(
    rng: DemoRandom,
    people: People,
    plan: BranchPlan,
    today: date,
    clan: list[str],
    *,
    ages: tuple[int, int],
    joined_between: tuple[date, date] | None = None,
) -> DemoMember:
    educated = plan.domain in _EDUCATED
    male = rng.random() < (0.55 if educated else 0.78)
    birth = people.birth_date(today, *ages)
    area = people.area(0.55 if educated else 0.93)
    if joined_between:
        lo = max(joined_between[0], add_years(birth, 18) + timedelta(days=1))
        joined = lo + timedelta(days=rng.randrange(max(1, (joined_between[1] - lo).days)))
    else:
        join_age = rng.randint(20, 32) if educated else rng.choice((rng.randint(20, 30), rng.randint(25, 48)))
        joined = add_years(birth, join_age) + timedelta(days=rng.randrange(365))
        joined = min(joined, today - timedelta(days=rng.randint(400, 900)))
        joined = max(joined, add_years(birth, 18) + timedelta(days=30))
    probationary = joined > today - timedelta(days=365)
    full_on = None if probationary else add_years(joined, 1)
    if full_on and full_on > today:
        full_on = today
    since = joined
    if joined < plan.founded_on:
        since = plan.founded_on
    # Staff of organs, schools and hospitals move between units; villagers mostly joined at home.
    moved = rng.random() < (0.45 if educated else 0.1)
    if moved and (today - since).days > 60:
        since = since + timedelta(days=rng.randrange((today - since).days - 30))
    return DemoMember(
        id=new_uuid(rng),
        name=people.name(male, birth.year, clan if plan.domain == BranchDomain.RURAL else None),
        male=male,
        birth=birth,
        id_number=people.id_number(area, birth, male),
        ethnicity=people.ethnicity(),
        education=people.education(birth.year, educated),
        phone=people.phone(age_on(birth, today)),
        joined_on=joined,
        full_on=full_on,
        branch_since=since,
        status=MemberStatus.PROBATIONARY if probationary else MemberStatus.FULL,
    )


def build_people(
    rng: DemoRandom, people: People, plan: BranchPlan, today: date, window_start: date
) -> BranchPeople:
    clan = people.clan()
    band = _AGES[_age_band(plan.domain)]
    members: list[DemoMember] = []
    if plan.profile.tiny:
        members.append(_member(rng, people, plan, today, clan, ages=(35, 50)))
        members.append(_member(rng, people, plan, today, clan, ages=(28, 45)))
        recent = (today - timedelta(days=300), today - timedelta(days=30))
        members.append(_member(rng, people, plan, today, clan, ages=(24, 35), joined_between=recent))
        for m in members:
            m.branch_since = max(m.branch_since, plan.founded_on)
    else:
        new_members = max(1, round(plan.size * 0.025))
        for _ in range(plan.size - new_members):
            lo, hi, _w = rng.choices(band, weights=[b[2] for b in band])[0]
            members.append(_member(rng, people, plan, today, clan, ages=(lo, hi)))
        recent = (today - timedelta(days=340), today - timedelta(days=20))
        for _ in range(new_members):
            members.append(_member(rng, people, plan, today, clan, ages=(22, 40), joined_between=recent))
        if plan.profile.overdue_probation:
            late = (today - timedelta(days=470), today - timedelta(days=400))
            m = _member(rng, people, plan, today, clan, ages=(26, 40), joined_between=late)
            m.status, m.full_on = MemberStatus.PROBATIONARY, None
            members.append(m)
        members.extend(_former_members(rng, people, plan, today, window_start, clan, band))
    _flowing_and_discipline(rng, plan, members, today)
    for m in members:
        _occupation(m, plan.domain, today)
    groups = _groups(rng, members, today)
    seats, term_start, term_end = _committee(rng, plan, members, today, window_start)
    return BranchPeople(members, groups, seats, term_start, term_end)


def _former_members(
    rng: DemoRandom,
    people: People,
    plan: BranchPlan,
    today: date,
    window_start: date,
    clan: list[str],
    band: tuple[tuple[int, int, int], ...],
) -> list[DemoMember]:
    """Members who left during the ten years: transferred out, or (mostly old villagers) deceased."""
    out: list[DemoMember] = []
    span = (today - window_start).days
    transferred = round(plan.size * rng.uniform(0.03, 0.07))
    deceased = round(plan.size * (rng.uniform(0.05, 0.09) if plan.domain == BranchDomain.RURAL else 0.01))
    for _ in range(transferred):
        lo, hi, _w = rng.choices(band, weights=[b[2] for b in band])[0]
        lo, hi = max(lo, 25), min(hi, 60)
        m = _member(rng, people, plan, today, clan, ages=(lo, hi) if lo < hi else (25, 60))
        left = window_start + timedelta(days=rng.randrange(span))
        if left <= m.branch_since + timedelta(days=60):
            left = m.branch_since + timedelta(days=60 + rng.randrange(400))
        if left >= today:
            continue
        m.state, m.left_on = MemberState.TRANSFERRED_OUT, left
        out.append(m)
    for _ in range(deceased):
        m = _member(rng, people, plan, today, clan, ages=(80, 100))
        left = window_start + timedelta(days=rng.randrange(span))
        if left <= m.branch_since + timedelta(days=60) or left >= today:
            continue
        m.state, m.left_on = MemberState.DECEASED, left
        m.phone = ""
        out.append(m)
    return out


def _flowing_and_discipline(
    rng: DemoRandom, plan: BranchPlan, members: list[DemoMember], today: date
) -> None:
    if plan.domain in (BranchDomain.RURAL, BranchDomain.COMMUNITY):
        share = 0.45 if plan.profile.quorum_trouble else 0.14
        for m in members:
            if 22 <= age_on(m.birth, today) <= 55 and m.state == MemberState.ACTIVE and rng.random() < share:
                m.flowing = True
    active_full = [m for m in members if m.state == MemberState.ACTIVE and m.status == MemberStatus.FULL]
    if len(active_full) >= 60 and rng.random() < 0.15:
        rng.choice(active_full).discipline = Discipline.PROBATION


def _occupation(m: DemoMember, domain: str, today: date) -> None:
    """职业, 农民工 and 困难党员 from what the demo already knows (domain, age, 流动), without drawing from
    ``rng`` (so the rest of the demo stays as it was): a bucket from the member's id spreads the rest."""
    bucket = int(m.id.replace("-", "")[-8:], 16) % 100  # the random tail of a uuid7
    age = age_on(m.birth, today)
    if domain in (BranchDomain.RURAL, BranchDomain.COMMUNITY):
        if m.flowing:
            m.occupation, m.migrant_worker = "worker", True
        elif domain == BranchDomain.COMMUNITY:
            m.occupation = "retired" if age >= 60 else ("manager", "professional", "other")[bucket % 3]
        else:
            m.occupation = "farmer" if bucket >= 8 else "other"
        m.hardship = age >= 70 and bucket < 12
    elif domain == BranchDomain.ORGAN:
        m.occupation = "retired" if age >= 60 else "official"
    elif domain in (BranchDomain.SCHOOL, BranchDomain.HOSPITAL):
        m.occupation = "retired" if age >= 60 else ("professional" if bucket >= 15 else "manager")
    else:
        m.occupation = "manager" if bucket < 20 else ("professional" if bucket < 45 else "worker")


def _groups(rng: DemoRandom, members: list[DemoMember], today: date) -> list[Group]:
    active = [m for m in members if m.state == MemberState.ACTIVE]
    if len(active) < 10:
        return []
    count = max(2, round(len(active) / 11))
    groups = [Group(new_uuid(rng), f"第{_cn(i + 1)}党小组", i) for i in range(count)]
    order = list(members)
    rng.shuffle(order)
    # Active and former members are dealt separately so today's groups stay even (5–15 each).
    for pool in (
        [m for m in order if m.state == MemberState.ACTIVE],
        [m for m in order if m.state != MemberState.ACTIVE],
    ):
        for i, m in enumerate(pool):
            g = groups[i % count]
            m.group_id = g.id
            g.members.append(m)
    for g in groups:
        g.members.sort(key=lambda m: m.birth)
    return groups


def _cn(n: int) -> str:
    if n <= 10:
        return _CN[n - 1]
    if n < 20:
        return "十" + _CN[n - 11]
    return _CN[n // 10 - 1] + "十" + (_CN[n % 10 - 1] if n % 10 else "")


def _committee(
    rng: DemoRandom, plan: BranchPlan, members: list[DemoMember], today: date, window_start: date
) -> tuple[list[Seat], date | None, date | None]:
    """Committee terms back from today: 5 years for villages and communities, 3 for the rest."""
    years = 5 if plan.domain in (BranchDomain.RURAL, BranchDomain.COMMUNITY) else 3
    if plan.profile.expired_term:
        current = years_before(today, years) - timedelta(days=rng.randint(40, 200))
    else:
        current = today - timedelta(days=rng.randint(60, years * 365 - 45))
    starts = [current]
    while starts[-1] > window_start and starts[-1] > plan.founded_on:
        starts.append(years_before(starts[-1], years))
    starts.reverse()
    starts[0] = max(starts[0], plan.founded_on)
    seats: list[Seat] = []
    previous_secretary: DemoMember | None = None
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else None
        stay_until = end or today
        candidates = [
            m
            for m in members
            if m.in_branch(start)
            and m.full_on_day(start)
            and m.discipline == Discipline.NONE
            and (m.left_on is None or m.left_on >= stay_until)
            and 26 <= age_on(m.birth, start) <= 68
        ]
        full_count = sum(1 for m in members if m.in_branch(start) and m.full_on_day(start))
        if full_count >= 50:
            roles = [CommitteeRole.SECRETARY, CommitteeRole.DEPUTY, CommitteeRole.ORGANIZATION]
            roles += [CommitteeRole.PROPAGANDA, CommitteeRole.DISCIPLINE]
        elif full_count >= 15:
            roles = [CommitteeRole.SECRETARY, CommitteeRole.ORGANIZATION, CommitteeRole.PROPAGANDA]
            if rng.random() < 0.5:
                roles += [CommitteeRole.DEPUTY, CommitteeRole.DISCIPLINE]
        elif full_count >= 7:
            roles = [CommitteeRole.SECRETARY, CommitteeRole.ORGANIZATION, CommitteeRole.PROPAGANDA]
        else:
            roles = [CommitteeRole.SECRETARY]
        if not candidates:
            continue
        holders = rng.sample(candidates, min(len(roles), len(candidates)))
        if previous_secretary in candidates and rng.random() < 0.5:
            assert previous_secretary is not None
            if previous_secretary in holders:
                holders.remove(previous_secretary)
            holders.insert(0, previous_secretary)
            holders = holders[: len(roles)]
        previous_secretary = holders[0]
        for role, member in zip(roles, holders, strict=False):
            seats.append(Seat(new_uuid(rng), member, str(role), start, end))
    return seats, current, add_years(current, years)
