"""政治生日: the members whose 入党 anniversary falls in a month, with their party age.

Rules (see ../shared/domain.md, Development pipeline; 党章 第六、七条):
- The 政治生日 is the anniversary of the 入党日期 — the day the branch meeting admitted the member as
  预备党员 (发展党员工作细则: "the vote date is the 入党日期").
- 党龄 is counted from the day the probation ended and the member became a full member (党章 第七条:
  "党员的党龄，从预备期满转为正式党员之日算起"): the recorded 转正日期; for a full member without one,
  the end of the one-year probation (入党日期 + 1 year) is assumed and said so. A 预备党员 has no 党龄 yet.
- 光荣在党50年: the 纪念章 goes to members whose 党龄 reaches 50 years (中共中央《关于颁发“光荣在党50年”
  纪念章的决定》, 2021); a member is marked in the month of the 政治生日 where the 党龄 counted at the
  month's end is exactly 50. Every tenth anniversary of 入党 is marked too (入党N周年).
- A member who joined on 29 February celebrates on 28 February in a common year (services.dates.add_years).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import extract, select
from sqlalchemy.orm import Session

from models import Member
from models.enums import MemberState, MemberStatus
from services.dates import add_years, age_on
from services.members import probation_end
from services.reports.common import Month, check_month, parse_month, scope
from services.reports.output import Document, Section

GLORY_YEARS = 50


@dataclass(frozen=True)
class PartyAge:
    """Full years of 党龄 on a day, the date it is counted from, and how that date was found."""

    years: int | None  # None: a 预备党员 has no 党龄
    since: date | None
    note: str  # "" when the 转正日期 is recorded


def party_age(joined_on: date, full_member_on: date | None, status: str, day: date) -> PartyAge:
    """党龄 on ``day`` (党章 第七条: from the day the member became a full member)."""
    if status == MemberStatus.PROBATIONARY and full_member_on is None:
        return PartyAge(None, None, "预备党员，尚无党龄")
    if full_member_on is not None:
        since, note = full_member_on, ""
    else:
        since, note = probation_end(joined_on), "未录转正日期，按入党满一年推定"
    return PartyAge(max(age_on(since, day), 0) if since <= day else 0, since, note)


@dataclass(frozen=True)
class Birthday:
    member_id: str
    name: str
    branch_code: str
    branch_name: str
    joined_on: date
    celebrated_on: date  # the anniversary in the month (28 Feb for a 29 Feb joiner in a common year)
    years: int  # 入党 N 周年
    party_age: PartyAge
    marks: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "member_id": self.member_id,
            "name": self.name,
            "branch_code": self.branch_code,
            "branch": self.branch_name,
            "joined_on": self.joined_on.isoformat(),
            "celebrated_on": self.celebrated_on.isoformat(),
            "years": self.years,
            "party_age": self.party_age.years,
            "party_age_since": self.party_age.since.isoformat() if self.party_age.since else None,
            "party_age_note": self.party_age.note,
            "marks": list(self.marks),
        }


@dataclass(frozen=True)
class BirthdayReport:
    month: Month
    title: str  # township or branch name
    rows: list[Birthday]

    COLUMNS = ("支部", "姓名", "入党日期", "政治生日", "入党周年", "党龄（年）", "党龄起算", "标记")

    def lines(self) -> list[str]:
        """Plain text: a heading, then one line per member."""
        out = [f"{self.title} {self.month.label()} 政治生日：{len(self.rows)} 人"]
        for r in self.rows:
            age = "党龄—" if r.party_age.years is None else f"党龄{r.party_age.years}年"
            marks = f"  【{'、'.join(r.marks)}】" if r.marks else ""
            note = f"（{r.party_age.note}）" if r.party_age.note else ""
            out.append(
                f"{r.celebrated_on.isoformat()}  {r.branch_name}  {r.name}  入党{r.years}周年  {age}{note}{marks}"
            )
        return out

    def table(self) -> list[list[object]]:
        """The rows as printed / exported, in COLUMNS order."""
        out: list[list[object]] = []
        for r in self.rows:
            age = r.party_age
            since = age.since.isoformat() if age.since else ""
            if age.note:
                since = f"{since}（{age.note}）" if since else age.note
            out.append(
                [
                    r.branch_name,
                    r.name,
                    r.joined_on,
                    r.celebrated_on,
                    r.years,
                    "" if age.years is None else age.years,
                    since,
                    "、".join(r.marks),
                ]
            )
        return out


def birthdays(
    session: Session,
    month_text: str,
    branch_code: str | None = None,
    *,
    today: date | None = None,
    township_code: str | None = None,
) -> BirthdayReport:
    """Members whose 政治生日 falls in the month ``month_text`` (2026-12), in date then branch order.

    Members counted: not deleted, in the roster at the month's end (transferred in on or before it, not
    transferred out, deceased or left before it), who joined before the month's year. A month up to 12 months ahead of ``today`` is allowed
    (to plan 主题党日); further ahead, or before the township's first branch was founded, raises
    ValidationError("month")."""
    today = today or date.today()
    month = parse_month(month_text, "month")
    where = scope(session, branch_code, township_code)
    check_month(session, where, month, today, field="month", months_ahead=12)
    names = {b.id: (where.code(b), where.name(b), i) for i, b in enumerate(where.branches)}
    stmt = select(Member).where(
        Member.branch_id.in_(where.ids),
        Member.deleted.is_(False),
        extract("month", Member.joined_on) == month.month,
        Member.joined_on < month.first.replace(month=1),
    )
    rows: list[Birthday] = []
    for m in session.scalars(stmt):
        if m.left_on is not None and m.left_on <= month.last:
            continue
        if m.branch_since is not None and m.branch_since > month.last:
            continue  # transferred in after the month: not this branch's member then
        if m.left_on is None and m.state != MemberState.ACTIVE:
            continue
        years = month.year - m.joined_on.year
        celebrated = add_years(m.joined_on, years)
        age = party_age(m.joined_on, m.full_member_on, m.status, month.last)
        marks: list[str] = []
        if age.years == GLORY_YEARS:
            marks.append(f"光荣在党{GLORY_YEARS}年")
        if years % 10 == 0:
            marks.append(f"入党{years}周年")
        if m.joined_on.month == 2 and m.joined_on.day == 29 and celebrated.day == 28:
            marks.append("2月29日入党，平年按2月28日")
        code, bname, _ = names[m.branch_id]
        rows.append(Birthday(m.id, m.name, code, bname, m.joined_on, celebrated, years, age, tuple(marks)))
    order = {code: sort for code, _, sort in names.values()}
    rows.sort(key=lambda r: (r.celebrated_on, order[r.branch_code], r.branch_code, r.name))
    return BirthdayReport(month, where.title(), rows)


def document(report: BirthdayReport) -> Document:
    """The report as a printable / exportable document (one table)."""
    title = f"{report.title} {report.month.label()} 政治生日名单"
    note = "党龄从转正之日（预备期满）算起（党章第七条）；光荣在党50年：党龄满50年。"
    section = Section(
        f"{report.month.label()}政治生日",
        BirthdayReport.COLUMNS,
        report.table(),
        widths=(16, 8, 11, 11, 7, 8, 20, 16),
        note=note,
        empty="本月没有党员过政治生日。",
    )
    return Document(title, report.title, [section])
