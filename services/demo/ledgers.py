"""The other ledgers for one demo branch: development pipeline, fees and funds, training, decisions
and 党务公开, the 八有 venue, rectification. Follows the branch's ``Profile`` so that branches that
keep poor meeting records also show arrears, open problems and unfinished 四议两公开.
"""

from __future__ import annotations

from datetime import date, timedelta

from models.enums import BranchDomain, DecisionStepCode, MemberState, MemberStatus, VenueItem
from services.dates import add_months, age_on
from services.demo.layout import BranchPlan
from services.demo.names import People, years_before
from services.demo.people import BranchPeople, DemoMember
from services.demo.writer import BulkWriter, DemoRandom, at_time, new_uuid
from services.fees import DEFAULT_SCHEDULE, month_key, shift_month
from services.workdays import working_days

_TRAININGS = (
    "学习贯彻党的二十大精神专题培训",
    "《中国共产党章程》集中学习",
    "党纪学习教育专题辅导",
    "乡村振兴政策解读",
    "基层党组织书记履职能力培训",
    "网上党校在线学习",
    "《中国共产党支部工作条例（试行）》学习",
)
_DECISIONS = (
    "村集体道路硬化项目",
    "村级光伏收益分配方案",
    "农田水利设施维修",
    "村集体土地流转",
    "村委会办公场所修缮",
    "高标准农田建设实施方案",
    "村集体经济合作社年度分红",
)
_PROBLEMS = (
    ("组织生活不规范", "“三会一课”记录不全，部分月份缺少支委会记录"),
    ("台账资料不全", "党员大会签到表未归档，会议照片缺失"),
    ("党费收缴不及时", "部分党员连续数月未交纳党费"),
    ("阵地建设不达标", "党员活动室标识不规范，公开栏内容未及时更新"),
    ("发展党员不规范", "入党积极分子考察记录不完整"),
)
_RURAL = (BranchDomain.RURAL, BranchDomain.COMMUNITY)


def write_ledgers(
    writer: BulkWriter,
    rng: DemoRandom,
    people: People,
    township_id: str,
    branch_id: str,
    plan: BranchPlan,
    crowd: BranchPeople,
    today: date,
    window_start: date,
) -> None:
    active = [m for m in crowd.members if m.state == MemberState.ACTIVE]
    full = [m for m in active if m.status == MemberStatus.FULL]
    troubled = plan.profile.late or plan.profile.skip_rate > 0 or plan.profile.gap_months > 0
    _pipeline(writer, rng, people, township_id, branch_id, plan, active, full, today)
    _movements(writer, rng, branch_id, crowd, window_start, today)
    _fees(writer, rng, branch_id, plan, active, today, troubled)
    _training(writer, rng, branch_id, active, today, plan.profile.skip_rate)
    if plan.domain in _RURAL:
        _decisions(writer, rng, branch_id, today, troubled)
        _venue(writer, rng, branch_id, today, troubled)
    else:
        _disclosures(writer, rng, branch_id, today)
    if troubled or plan.profile.tiny or plan.profile.expired_term:
        _problems(writer, rng, branch_id, today, plan.profile.tiny)


def _pipeline(
    writer: BulkWriter,
    rng: DemoRandom,
    people: People,
    township_id: str,
    branch_id: str,
    plan: BranchPlan,
    active: list[DemoMember],
    full: list[DemoMember],
    today: date,
) -> None:
    if len(full) < 2:
        return
    # Current probationary members came through the pipeline: their file links to the member.
    for m in active:
        if m.status != MemberStatus.PROBATIONARY:
            continue
        # 发展对象 a few months before admission, after at least a calendar year as 积极分子 (细则第十三条).
        candidate = add_months(m.joined_on, -rng.randint(3, 6))
        activist = add_months(candidate, -rng.randint(12, 24))
        applied = activist - timedelta(days=rng.randint(40, 200))
        intro = rng.sample(full, 2)
        _record(
            writer,
            rng,
            township_id,
            branch_id,
            name=m.name,
            id_number=m.id_number,
            male=m.male,
            birth=m.birth,
            stage="probationary",
            applied=applied,
            activist=activist,
            candidate=candidate,
            admitted=m.joined_on,
            member_id=m.id,
            introducers=(intro[0].id, intro[1].id),
            today=today,
        )
    # People on the way in. Villages keep a reserve of 积极分子 (Chongyang: at least ten);
    # some keep fewer, so the township view has something to show.
    activists = rng.randint(6, 13) if plan.domain in _RURAL else rng.randint(1, 4)
    for _ in range(activists + rng.randint(1, 3)):
        male = rng.random() < 0.6
        birth = people.birth_date(today, 20, 45)
        activist_on = today - timedelta(days=rng.randint(30, 700))
        applied = activist_on - timedelta(days=rng.randint(40, 240))
        stage = "applicant" if activists <= 0 else "activist"
        if stage == "activist" and (today - activist_on).days > 400 and rng.random() < 0.4:
            stage = "candidate"
        activists -= 1
        _record(
            writer,
            rng,
            township_id,
            branch_id,
            name=people.name(male, birth.year),
            id_number=people.id_number(people.area(0.8), birth, male),
            male=male,
            birth=birth,
            stage=stage,
            applied=applied if stage != "applicant" else today - timedelta(days=rng.randint(5, 120)),
            activist=activist_on if stage != "applicant" else None,
            candidate=(activist_on + timedelta(days=rng.randint(366, 400))) if stage == "candidate" else None,
            today=today,
        )


_ELSEWHERE = (
    "县教育局机关党支部",
    "县人民医院党支部",
    "邻镇机关党支部",
    "兰州市城关区某社区党支部",
    "西安市某非公企业党支部",
)
_DESTINATIONS = ("广东省深圳市", "陕西省西安市", "甘肃省兰州市", "新疆维吾尔自治区乌鲁木齐市", "浙江省宁波市")


def _movements(
    writer: BulkWriter, rng: DemoRandom, branch_id: str, crowd: BranchPeople, window_start: date, today: date
) -> None:
    """Transfer letters for members who moved in or out within the window, flow records for migrants."""
    for m in crowd.members:
        if m.branch_since > m.joined_on and m.branch_since >= window_start:
            _transfer(writer, rng, m, branch_id, "in", m.branch_since)
        if m.state == MemberState.TRANSFERRED_OUT and m.left_on is not None:
            _transfer(writer, rng, m, branch_id, "out", m.left_on)
        if m.flowing and m.state == MemberState.ACTIVE:
            since = max(m.joined_on, m.branch_since, today - timedelta(days=rng.randint(60, 1500)))
            writer.add(
                "flow_record",
                {
                    "id": new_uuid(rng),
                    "member_id": m.id,
                    "branch_id": branch_id,
                    "destination": rng.choice(_DESTINATIONS),
                    "since": since,
                    "until": None,
                    "contact": m.phone,
                    "notes": "外出务工",
                },
                at_time(min(today, since + timedelta(days=rng.randint(0, 20))), rng),
            )


def _transfer(
    writer: BulkWriter, rng: DemoRandom, m: DemoMember, branch_id: str, direction: str, on: date
) -> None:
    writer.add(
        "member_transfer",
        {
            "id": new_uuid(rng),
            "member_id": m.id,
            "branch_id": branch_id,
            "direction": direction,
            "on": on,
            "counterpart": rng.choice(_ELSEWHERE),
            "letter_no": f"组转字〔{on.year}〕{rng.randint(1, 99):02d}号",
            "notes": "",
        },
        at_time(on, rng),
    )


def _record(
    writer: BulkWriter,
    rng: DemoRandom,
    township_id: str,
    branch_id: str,
    *,
    name: str,
    id_number: str,
    male: bool,
    birth: date,
    stage: str,
    applied: date,
    activist: date | None = None,
    candidate: date | None = None,
    admitted: date | None = None,
    member_id: str | None = None,
    introducers: tuple[str, str] | None = None,
    today: date,
) -> None:
    # Most talks happen within the month; a few are late, as inspections find.
    talk_delay = rng.randint(5, 25) if rng.random() < 0.9 else rng.randint(35, 60)
    talked = applied + timedelta(days=talk_delay)
    approved = admitted + timedelta(days=rng.randint(20, 80)) if admitted else None
    if approved is not None and approved > today:
        approved = None
    # 公示 a fortnight before the admission (9 days, at least 5 working days); 宣誓 after the approval.
    oath = approved + timedelta(days=10) if approved is not None else None
    publicity = _publicity(admitted) if admitted else None
    writer.add(
        "development_record",
        {
            "id": new_uuid(rng),
            "township_id": township_id,
            "branch_id": branch_id,
            "name": name,
            "id_number": id_number,
            "gender": "male" if male else "female",
            "birth_date": birth,
            "phone": "",
            "stage": stage,
            "applied_on": applied,
            "talked_on": talked if talked <= today else None,
            "activist_on": activist,
            "last_review_on": _last_review(activist, today, rng)
            if activist and stage != "applicant"
            else None,
            "candidate_on": candidate,
            "political_review_on": candidate + timedelta(days=20) if candidate else None,
            "training_days": 3 if candidate else 0,
            "training_hours": 24 if candidate else 0,
            "introducer1_id": introducers[0] if introducers else None,
            "introducer2_id": introducers[1] if introducers else None,
            "admitted_on": admitted,
            "admission_meeting_id": None,
            "approved_on": approved,
            "publicity_from": publicity[0] if publicity else None,
            "publicity_to": publicity[1] if publicity else None,
            "oath_on": oath if oath is not None and oath <= today else None,
            "conversion_meeting_id": None,
            "probation_extended_months": 0,
            "converted_on": None,
            "member_id": member_id,
            "withdrawn_on": None,
            "notes": "",
        },
        at_time(applied + timedelta(days=rng.randint(0, 10)), rng),
    )


def _publicity(admitted: date) -> tuple[date, date]:
    """公示 from three weeks before the admission for seven working days by the official calendar (so a
    公示 over 国庆 or 春节 runs longer, as township practice does); ends at least a day before."""
    start = admitted - timedelta(days=21)
    end = start
    while working_days(start, end).count < 7 and end < admitted - timedelta(days=1):
        end += timedelta(days=1)
    return start, end


def _last_review(activist: date, today: date, rng: DemoRandom) -> date | None:
    """Reviews every six months; about one file in eight has fallen behind."""
    reviews = [add_months(activist, 6 * k) for k in range(1, 40) if add_months(activist, 6 * k) <= today]
    if not reviews:
        return None
    if rng.random() < 0.12 and len(reviews) > 1:
        return reviews[-2]
    return reviews[-1]


def _category(plan: BranchPlan, m: DemoMember, today: date, rng: DemoRandom) -> tuple[str, int]:
    age = age_on(m.birth, today)
    if plan.domain in _RURAL:
        return ("farmer", 0) if age < 70 or rng.random() < 0.7 else ("relief", 0)
    if age >= 60:
        return "retired", rng.randrange(250_000, 650_000, 100)
    return "salaried", rng.randrange(280_000, 1_200_000, 100)


def _fees(
    writer: BulkWriter,
    rng: DemoRandom,
    branch_id: str,
    plan: BranchPlan,
    active: list[DemoMember],
    today: date,
    troubled: bool,
) -> None:
    """Dues from January of last year to this month (so last year's full-year check has its fee
    records); in troubled branches a few members stop paying 3–8 months before this month."""
    last = month_key(today)
    span = 12 + today.month
    months = [shift_month(last, -i) for i in range(span - 1, -1, -1)]
    stragglers = (
        set(rng.sample([m.id for m in active], min(len(active), rng.randint(1, 3)))) if troubled else set()
    )
    for m in active:
        category, income = _category(plan, m, today, rng)
        due = DEFAULT_SCHEDULE.due_fen(category, income)
        stop_after = span - 12 + rng.randint(4, 9) if m.id in stragglers else span
        for i, month in enumerate(months):
            if month < month_key(m.joined_on):
                continue
            paid = i < stop_after and not (m.flowing and rng.random() < 0.3)
            first = date(int(month[:4]), int(month[5:]), 1)
            paid_on = min(today, first + timedelta(days=rng.randint(3, 25)))
            writer.add(
                "fee_due",
                {
                    "id": new_uuid(rng),
                    "member_id": m.id,
                    "branch_id": branch_id,
                    "month": month,
                    "category": category,
                    "income_fen": income,
                    "due_fen": due,
                    "paid_fen": due if paid else 0,
                    "paid_on": paid_on if paid else None,
                    "receipt_no": f"DF{month.replace('-', '')}{rng.randrange(1000):03d}" if paid else "",
                },
                at_time(paid_on, rng),
            )
    per_member = 10_000 if plan.domain in _RURAL else 5_000  # activity funds: 100 / 50 yuan a member a year
    for year in (today.year - 1, today.year):
        granted = date(year, 3, rng.randint(1, 28))
        if granted > today:
            continue
        writer.add(
            "fund_entry",
            {
                "id": new_uuid(rng),
                "branch_id": branch_id,
                "on": granted,
                "direction": "income",
                "category": "党组织活动经费",
                "amount_fen": per_member * len(active),
                "description": f"{year} 年度党组织工作经费拨付",
                "voucher_no": f"JF{year}{rng.randrange(100):02d}",
            },
            at_time(granted, rng),
        )
        for what in ("购买学习资料", "主题党日活动", "党员活动室维护"):
            spent = granted + timedelta(days=rng.randint(10, 250))
            if spent > today:
                continue
            writer.add(
                "fund_entry",
                {
                    "id": new_uuid(rng),
                    "branch_id": branch_id,
                    "on": spent,
                    "direction": "expense",
                    "category": what,
                    "amount_fen": rng.randrange(20_000, 150_000, 100),
                    "description": what,
                    "voucher_no": f"ZC{spent:%Y%m%d}",
                },
                at_time(spent, rng),
            )


def _training(
    writer: BulkWriter,
    rng: DemoRandom,
    branch_id: str,
    active: list[DemoMember],
    today: date,
    skip_rate: float,
) -> None:
    for year in (today.year - 2, today.year - 1, today.year):
        for month in (3, 5, 7, 9, 11):
            held = date(year, month, rng.randint(5, 25))
            if held > today or rng.random() < skip_rate:
                continue
            minutes = rng.choice((120, 180, 240, 480))
            session_id = new_uuid(rng)
            at = at_time(held, rng)
            writer.add(
                "training_session",
                {
                    "id": session_id,
                    "branch_id": branch_id,
                    "title": rng.choice(_TRAININGS),
                    "kind": rng.choice(("study", "training", "online", "lecture")),
                    "held_on": held,
                    "minutes": minutes,
                    "organizer": "镇党委" if rng.random() < 0.3 else "支部委员会",
                    "place": "党员活动室",
                    "content": "",
                },
                at,
            )
            for m in active:
                if m.joined_on > held or m.branch_since > held or rng.random() < (0.4 if m.flowing else 0.12):
                    continue
                writer.add(
                    "training_attendance",
                    {"id": new_uuid(rng), "session_id": session_id, "member_id": m.id, "minutes": minutes},
                    at,
                )


def _decisions(writer: BulkWriter, rng: DemoRandom, branch_id: str, today: date, troubled: bool) -> None:
    steps = [s.value for s in DecisionStepCode]
    for year in (today.year - 1, today.year):
        for _ in range(rng.randint(1, 3)):
            proposed = date(year, rng.randint(1, 10), rng.randint(1, 28))
            if proposed > today:
                continue
            decision_id = new_uuid(rng)
            writer.add(
                "decision",
                {
                    "id": decision_id,
                    "branch_id": branch_id,
                    "title": rng.choice(_DECISIONS),
                    "procedure": "four_two",
                    "proposed_on": proposed,
                    "content": "",
                },
                at_time(proposed, rng),
            )
            # Older decisions are finished; a troubled branch leaves some halfway.
            done = (
                len(steps)
                if (today - proposed).days > 120 and not (troubled and rng.random() < 0.5)
                else rng.randint(1, 5)
            )
            day = proposed
            for step in steps[:done]:
                if day > today:
                    break
                writer.add(
                    "decision_step",
                    {
                        "id": new_uuid(rng),
                        "decision_id": decision_id,
                        "step": step,
                        "done_on": day,
                        "meeting_id": None,
                        "notes": "",
                    },
                    at_time(day, rng),
                )
                day += timedelta(days=rng.randint(3, 20))
    _disclosures(writer, rng, branch_id, today)


def _disclosures(writer: BulkWriter, rng: DemoRandom, branch_id: str, today: date) -> None:
    """党务公开 every quarter of last year and this year: every party organisation discloses (党务公开条例),
    not only villages."""
    for quarter_start in (date(y, m, 1) for y in (today.year - 1, today.year) for m in (1, 4, 7, 10)):
        posted = quarter_start + timedelta(days=rng.randint(3, 20))
        if posted > today:
            continue
        writer.add(
            "disclosure_posting",
            {
                "id": new_uuid(rng),
                "branch_id": branch_id,
                "title": f"{posted.year} 年第 {(posted.month - 1) // 3 + 1} 季度党务公开",
                "posted_on": posted,
                "until_on": posted + timedelta(days=30),
                "channel": "公开栏",
                "content": "党费收缴、发展党员、组织生活开展情况",
            },
            at_time(posted, rng),
        )


def _venue(writer: BulkWriter, rng: DemoRandom, branch_id: str, today: date, troubled: bool) -> None:
    """The 八有 check of the venue: one last year and one this year (20–200 days ago)."""
    last_year = date(today.year - 1, rng.randint(3, 11), rng.randint(1, 28))
    for checked in (last_year, today - timedelta(days=rng.randint(20, 200))):
        _venue_check(writer, rng, branch_id, checked, troubled)


def _venue_check(writer: BulkWriter, rng: DemoRandom, branch_id: str, checked: date, troubled: bool) -> None:
    for item in VenueItem:
        met = rng.random() > (0.35 if troubled else 0.08)
        writer.add(
            "venue_check",
            {
                "id": new_uuid(rng),
                "branch_id": branch_id,
                "item": item.value,
                "checked_on": checked,
                "met": met,
                "notes": "" if met else "待完善",
            },
            at_time(checked, rng),
        )


def _problems(writer: BulkWriter, rng: DemoRandom, branch_id: str, today: date, weak: bool) -> None:
    for category, description in rng.sample(_PROBLEMS, rng.randint(1, 3)):
        found = today - timedelta(days=rng.randint(30, 300))
        deadline = found + timedelta(days=rng.choice((30, 60, 90)))
        closed = deadline < today and rng.random() < 0.6
        writer.add(
            "rectification",
            {
                "id": new_uuid(rng),
                "branch_id": branch_id,
                "source": "inspection",
                "category": category,
                "description": description,
                "rule_id": "",
                "found_on": found,
                "deadline": deadline,
                "responsible": "支部书记",
                "status": "closed" if closed else rng.choice(("open", "in_progress")),
                "closed_on": deadline - timedelta(days=rng.randint(0, 20)) if closed else None,
                "fix_evidence": "已补齐相关记录并归档" if closed else "",
            },
            at_time(found, rng),
        )
    if weak:
        flagged = years_before(today, 1)
        writer.add(
            "weak_branch_flag",
            {
                "id": new_uuid(rng),
                "branch_id": branch_id,
                "flagged_on": flagged,
                "reason": "正式党员不足，组织生活不正常",
                "closed_on": None,
                "closing_notes": "",
            },
            at_time(flagged, rng),
        )
