"""Transfers and flow, training hours, 四议两公开, 八有, rectification, evidence filing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from models import Attachment, Member, MemberTransfer
from services import decisions, filing, rectification, training, transfers, venue
from services.errors import ValidationError
from services.members import members_on, roster
from tests.conftest import TODAY, Builder


def test_transfer_out_keeps_history_and_leaves_roster(build: Builder) -> None:
    branch = build.branch()
    m = build.member(branch.id)
    with build.db.transaction("t") as s:
        transfers.start_flow(s, m.id, "广东省深圳市", date(2024, 3, 1), "13800000000", today=TODAY)
        transfers.end_flow(s, m.id, date(2025, 1, 10))
        transfers.transfer_out(s, m.id, date(2026, 5, 1), "县教育局机关党支部", "转字第012号", today=TODAY)
    with build.db.reader() as s:
        assert roster(s, [branch.id]) == []
        assert [x.name for x in members_on(s, branch.id, date(2026, 4, 30))] == ["张三"]
        assert members_on(s, branch.id, date(2026, 5, 1)) == []
        history = [text for _, text in transfers.member_history(s, m.id)]
    assert history[0] == "入党"
    assert any("深圳" in t for t in history) and history[-1].startswith("转出，转往县教育局")


def test_transfer_before_joining_branch_is_refused(build: Builder) -> None:
    branch = build.branch()
    m = build.member(branch.id, branch_since=date(2020, 1, 1))
    with pytest.raises(ValidationError, match="早于转入"), build.db.transaction("t") as s:
        transfers.transfer_out(s, m.id, date(2019, 1, 1), "外县", today=TODAY)
    with build.db.reader() as s:
        assert s.scalar(select(MemberTransfer.id)) is None
        assert s.get(Member, m.id).state == "active"  # type: ignore[union-attr]


def test_second_open_flow_is_refused(build: Builder) -> None:
    branch = build.branch()
    m = build.member(branch.id)
    with build.db.transaction("t") as s:
        transfers.start_flow(s, m.id, "兰州", date(2025, 1, 1), "13800000001", today=TODAY)
    with pytest.raises(ValidationError, match="已登记为流动党员"), build.db.transaction("t") as s:
        transfers.start_flow(s, m.id, "西安", date(2025, 6, 1), "13800000001", today=TODAY)


def test_yearly_training_hours_against_target(build: Builder) -> None:
    branch = build.branch(members=2)
    with build.db.reader() as s:
        a, b = (m.id for m in s.scalars(select(Member).order_by(Member.name)))
    with build.db.transaction("t") as s:
        training.create_session(
            s, branch.id, training.TrainingInput("学习党章", date(2026, 3, 1), 24 * 60), today=TODAY
        )
        training.create_session(
            s,
            branch.id,
            training.TrainingInput("专题培训", date(2026, 5, 1), 8 * 60, attendee_ids=[a]),
            today=TODAY,
        )
    with build.db.reader() as s:
        rows = {
            r.member_id: r for r in training.yearly_hours(s, 2026, target_hours=32, branch_ids=[branch.id])
        }
    assert rows[a].minutes == 32 * 60 and rows[a].met
    assert rows[b].minutes == 24 * 60 and not rows[b].met


def test_four_discussions_two_disclosures_in_order(build: Builder) -> None:
    branch = build.branch()
    with build.db.transaction("t") as s:
        d = decisions.create_decision(s, branch.id, "村集体道路硬化", date(2026, 3, 1), today=TODAY)
    with pytest.raises(ValidationError, match="请先登记上一步"), build.db.transaction("t") as s:
        decisions.record_step(s, d.id, "congress_review", date(2026, 3, 10), today=TODAY)
    with pytest.raises(ValidationError, match="日期早于上一步"), build.db.transaction("t") as s:
        decisions.record_step(s, d.id, "consultation", date(2026, 2, 10), today=TODAY)
    with build.db.transaction("t") as s:
        decisions.record_step(s, d.id, "consultation", date(2026, 3, 5), today=TODAY)
        decisions.record_step(s, d.id, "congress_review", date(2026, 3, 10), today=TODAY)
    with build.db.reader() as s:
        (p,) = decisions.progress(s, [branch.id], 2026)
    assert p.done == ("proposal", "consultation", "congress_review")
    assert p.missing == ("resolution", "resolution_public", "result_public") and not p.complete


def test_venue_status_has_all_eight_items_with_photo_flag(build: Builder) -> None:
    branch = build.branch()
    with build.db.transaction("t") as s:
        check = venue.record_check(s, branch.id, "notice_board", date(2026, 4, 1), True, today=TODAY)
        s.add(
            Attachment(
                owner_type="venue_check", owner_id=check.id, sha256="0" * 64, filename="公开栏.jpg", size=1
            )
        )
        venue.record_check(s, branch.id, "library", date(2026, 4, 1), False, "书架未配齐", today=TODAY)
    with build.db.reader() as s:
        status = {v.item: v for v in venue.venue_status(s, branch.id)}
    assert len(status) == 8
    assert status["notice_board"].met and status["notice_board"].has_photo
    assert not status["library"].met and status["square"].checked_on is None
    with pytest.raises(ValidationError), build.db.transaction("t") as s:
        venue.record_check(s, branch.id, "swimming_pool", date(2026, 4, 1), True, today=TODAY)


def test_rectification_needs_evidence_to_close_and_overdue_is_listed(build: Builder) -> None:
    branch = build.branch()
    with build.db.transaction("t") as s:
        p = rectification.open_problem(
            s,
            branch.id,
            "对标不准",
            "主题党日记录不全",
            date(2026, 6, 1),
            date(2026, 7, 1),
            "王书记",
            today=TODAY,
        )
    with build.db.reader() as s:
        assert [x.id for x in rectification.overdue(s, date(2026, 7, 2))] == [p.id]
        assert rectification.overdue(s, date(2026, 7, 1)) == []
    with pytest.raises(ValidationError, match="佐证"), build.db.transaction("t") as s:
        rectification.close_problem(s, p.id, date(2026, 6, 20), "  ", today=TODAY)
    with build.db.transaction("t") as s:
        rectification.close_problem(s, p.id, date(2026, 6, 20), "已补齐 6 月记录", today=TODAY)
    with build.db.reader() as s:
        assert rectification.overdue(s, date(2026, 8, 1)) == []


def test_weak_branch_flag_until_closed(build: Builder) -> None:
    branch = build.branch()
    with build.db.transaction("t") as s:
        flag = rectification.flag_weak(s, branch.id, date(2026, 1, 10), "班子不团结", today=TODAY)
    with pytest.raises(ValidationError, match="尚未整顿销号"), build.db.transaction("t") as s:
        rectification.flag_weak(s, branch.id, date(2026, 2, 1), "重复", today=TODAY)
    with build.db.transaction("t") as s:
        rectification.close_weak(s, flag.id, date(2026, 9, 1), "已调整班子")
    with build.db.reader() as s:
        assert [f.id for f in rectification.weak_branches(s, date(2026, 8, 31))] == [flag.id]
        assert rectification.weak_branches(s, date(2026, 9, 1)) == []


def test_filing_refuses_unknown_catalog_item(build: Builder) -> None:
    branch = build.branch()
    with pytest.raises(ValidationError, match="没有 X9"), build.db.transaction("t") as s:
        filing.file_evidence(s, branch.id, "X9", 2026, "扫描件", None, TODAY, known_items={"A1"})
    with build.db.transaction("t") as s:
        filing.file_evidence(
            s, branch.id, "A1", 2026, "支部委员会选举结果批复", None, TODAY, known_items={"A1"}
        )
    with build.db.reader() as s:
        assert list(filing.filed_items(s, branch.id, 2026)) == ["A1"]
