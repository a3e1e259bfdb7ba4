"""The shape of a demo township: which organisations exist, how big, and how well each keeps its records.

Each leaf branch gets a ``Profile``: most keep complete, timely records; a few skip meetings, record them
weeks late, miss quorum, let the committee term expire or are too small — the realistic mix the handbook
checks are meant to find.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from models.enums import BranchDomain, BranchKind

TOWNSHIP_NAMES = ("青塬镇", "柳河镇", "石门镇")
COUNTY = "演示县"

_VILLAGE_HEADS = [
    "王庄",
    "李塬",
    "高崖",
    "南川",
    "北塬",
    "东沟",
    "西岔",
    "杨湾",
    "马坪",
    "柳树",
    "石桥",
    "赵咀",
    "刘台",
    "张洼",
    "孟坝",
    "新城",
    "红旗",
    "丰台",
    "槐树",
    "太平",
    "和平",
    "双河",
    "前进",
    "白草",
    "沙坪",
    "贾山",
    "吴湾",
    "郭塬",
    "三合",
    "庙渠",
    "上肖",
    "下肖",
    "中原",
    "店子",
    "曹川",
    "罗沟",
    "杜家",
]
_COMMUNITY_NAMES = ("文化路社区", "南关社区", "北街社区", "新华社区", "东城社区")


@dataclass
class Profile:
    """How a branch keeps its ledgers (all draws are per meeting, from the seeded generator)."""

    skip_rate: float = 0.0  # share of scheduled meetings that never happen
    skip_from_year: int = 0  # skipping starts in this year (0: throughout)
    gap_months: int = 0  # one stretch of this many months with no meetings at all
    late: bool = False  # records entered weeks after the meeting
    quorum_trouble: bool = False  # many members away: some 党员大会/支委会 miss quorum
    expired_term: bool = False  # committee term ended and no new election recorded
    tiny: bool = False  # fewer than three full members
    overdue_probation: bool = False  # a probationary member past the one-year mark

    def describe(self) -> str:
        parts = []
        if self.skip_rate or self.gap_months:
            parts.append("会议不全")
        if self.late:
            parts.append("录入滞后")
        if self.quorum_trouble:
            parts.append("到会不足")
        if self.expired_term:
            parts.append("超期未换届")
        if self.tiny:
            parts.append("正式党员不足3人")
        if self.overdue_probation:
            parts.append("预备期超期")
        return "、".join(parts) or "规范"


@dataclass
class BranchPlan:
    code: str
    name: str
    kind: str
    domain: str
    founded_on: date
    size: int = 0  # active members today (0 for 党委/党总支 that only hold sub-branches)
    parent_code: str | None = None
    profile: Profile = field(default_factory=Profile)

    @property
    def is_leaf(self) -> bool:
        return self.kind == BranchKind.BRANCH


@dataclass
class TownshipPlan:
    code: str
    name: str
    county: str
    branches: list[BranchPlan]


def _founded(rng: random.Random, earliest: int, latest: int) -> date:
    return date(rng.randint(earliest, latest), rng.randint(1, 12), rng.randint(1, 28))


def township_plan(rng: random.Random, index: int, today: date, small: bool = False) -> TownshipPlan:
    """One township: 30 organisations (or 3 for the small scale), codes B<index>01…"""
    code = f"T{index:02d}"
    name = TOWNSHIP_NAMES[(index - 1) % len(TOWNSHIP_NAMES)]
    prefix = f"B{index}"
    villages = rng.sample(_VILLAGE_HEADS, 17)
    plans: list[BranchPlan] = []

    def add(name: str, kind: str, domain: str, size: int, parent: str | None = None) -> BranchPlan:
        plan = BranchPlan(
            code=f"{prefix}{len(plans) + 1:02d}",
            name=name,
            kind=kind,
            domain=domain,
            founded_on=_founded(rng, 1952, 1998),
            size=size,
            parent_code=parent,
        )
        plans.append(plan)
        return plan

    if small:
        add(f"{villages[0]}村党支部", BranchKind.BRANCH, BranchDomain.RURAL, 32)
        community = add(_COMMUNITY_NAMES[0] + "党支部", BranchKind.BRANCH, BranchDomain.COMMUNITY, 19)
        community.profile = Profile(skip_rate=0.2, late=True)
        firm = add("青塬果业有限公司党支部", BranchKind.BRANCH, BranchDomain.NONPUBLIC, 8)
        firm.founded_on = _founded(rng, 2008, 2014)
        firm.profile = Profile(expired_term=True, overdue_probation=True)
        return TownshipPlan(code, name, COUNTY, plans)

    rural = BranchDomain.RURAL
    for head in villages[:16]:
        add(f"{head}村党支部", BranchKind.BRANCH, rural, rng.randint(122, 190))
    general = add(f"{villages[16]}村党总支", BranchKind.GENERAL, rural, 0)
    for part in ("第一", "第二", "第三"):
        sub = add(
            f"{villages[16]}村{part}党支部", BranchKind.BRANCH, rural, rng.randint(50, 80), general.code
        )
        sub.founded_on = max(sub.founded_on, general.founded_on)
    for cname in rng.sample(_COMMUNITY_NAMES, 3):
        community = add(cname + "党支部", BranchKind.BRANCH, BranchDomain.COMMUNITY, rng.randint(60, 100))
        community.founded_on = _founded(rng, 1985, 2005)
    organ = add(f"{name}机关党委", BranchKind.COMMITTEE, BranchDomain.ORGAN, 0)
    for part in ("第一", "第二"):
        sub = add(
            f"{name}机关{part}党支部", BranchKind.BRANCH, BranchDomain.ORGAN, rng.randint(28, 40), organ.code
        )
        sub.founded_on = max(sub.founded_on, organ.founded_on)
    add(f"{name}中心小学党支部", BranchKind.BRANCH, BranchDomain.SCHOOL, rng.randint(18, 26))
    add(f"{name}初级中学党支部", BranchKind.BRANCH, BranchDomain.SCHOOL, rng.randint(22, 32))
    add(f"{name}卫生院党支部", BranchKind.BRANCH, BranchDomain.HOSPITAL, rng.randint(16, 24))
    firm = add(
        f"{name}{rng.choice(('金果', '丰源', '绿洲'))}农业有限公司党支部",
        BranchKind.BRANCH,
        BranchDomain.NONPUBLIC,
        3,
    )
    firm.founded_on = _founded(rng, 2015, 2019)
    firm.profile = Profile(tiny=True, skip_rate=0.15)

    # Hand out the troubles to distinct branches; everything else keeps complete, timely records.
    leaves = [p for p in plans if p.is_leaf and not p.profile.tiny]
    village_leaves = [p for p in leaves if p.domain == rural]
    troubled = rng.sample(village_leaves, 4)
    troubled[0].profile = Profile(skip_rate=0.3, gap_months=5)
    troubled[1].profile = Profile(skip_rate=0.12, skip_from_year=today.year - 2)
    troubled[2].profile = Profile(quorum_trouble=True)
    troubled[3].profile = Profile(quorum_trouble=True, expired_term=True)
    others = [p for p in leaves if p not in troubled]
    late = rng.sample(others, 5)
    late[0].profile = Profile(late=True)
    late[1].profile = Profile(late=True, skip_rate=0.1)
    late[2].profile = Profile(late=True)
    late[3].profile = Profile(skip_rate=0.1, skip_from_year=today.year - 1)
    late[4].profile = Profile(expired_term=True, overdue_probation=True)
    return TownshipPlan(code, name, COUNTY, plans)


def plans_for(scale: str, rng: random.Random, today: date) -> list[TownshipPlan]:
    if scale == "small":
        return [township_plan(rng, 1, today, small=True)]
    if scale == "township":
        return [township_plan(rng, 1, today)]
    if scale == "county":
        return [township_plan(rng, i, today) for i in (1, 2, 3)]
    raise ValueError(scale)
