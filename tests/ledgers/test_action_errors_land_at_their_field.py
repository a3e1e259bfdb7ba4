"""A service's error on a ledger action names a field of that action's form (so the form shows it at the
field and ``ledger do`` names the option), never a field the form does not have."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services import fees, rectification, transfers
from services.errors import ValidationError
from services.ledgers.actions import ACTIONS, Target
from tests.conftest import TODAY, Builder


def _run(build: Builder, code: str, title: str, target: Target, values: dict[str, Any]) -> str:
    action = next(a for a in ACTIONS[code] if a.title == title)
    keys = {f.key for f in action.fields}
    assert set(values) == keys, "the test fills exactly the form's fields"
    with pytest.raises(ValidationError) as err, build.db.transaction("t") as s:
        action.run(s, target, values)
    assert err.value.field in keys, (code, title, err.value.field, str(err.value))
    return err.value.field


def test_service_errors_name_the_form_fields(build: Builder) -> None:
    branch = build.branch()
    m = build.member(branch.id, "张三", joined_on=date(2020, 1, 1))
    with build.db.transaction("t") as s:
        due = fees.set_due(s, m.id, "2026-03", "farmer")
        problem = rectification.open_problem(
            s, branch.id, "台账", "记录不全", date(2026, 3, 1), date(2026, 9, 1)
        )
    here, on_due, on_problem = (
        Target(branch.id, None),
        Target(branch.id, due.id),
        Target(branch.id, problem.id),
    )
    later = date(2026, 11, 1)
    assert (
        _run(build, "fees", "登记交纳", on_due, {"paid_fen": 0, "paid_on": later, "receipt_no": None})
        == "paid_fen"
    )
    assert (
        _run(
            build,
            "funds",
            "登记收支",
            here,
            {
                "on": later,
                "direction": "income",
                "category": "x",
                "amount_fen": 0,
                "description": "",
                "voucher_no": "",
            },
        )
        == "amount_fen"
    )
    assert (
        _run(
            build,
            "transfers",
            "转出党员",
            here,
            {"member_id": m.id, "on": later, "counterpart": " ", "letter_no": None},
        )
        == "counterpart"
    )
    assert (
        _run(
            build,
            "flow",
            "登记外出流动",
            here,
            {"member_id": m.id, "destination": "", "since": later, "contact": "138"},
        )
        == "destination"
    )
    assert (
        _run(
            build,
            "disclosures",
            "登记党务公开",
            here,
            {"title": "财务", "posted_on": later, "until_on": date(2026, 10, 1), "channel": "公开栏"},
        )
        == "until_on"
    )
    assert (
        _run(build, "rectification", "整改销号", on_problem, {"closed_on": later, "fix_evidence": " "})
        == "fix_evidence"
    )
    assert _run(build, "weak-branches", "列为软弱涣散", here, {"flagged_on": later, "reason": ""}) == "reason"
    with build.db.transaction("t") as s:
        transfers.start_flow(s, m.id, "兰州", date(2026, 2, 1), "138", today=TODAY)
    assert _run(build, "flow", "登记返回", here, {"member_id": m.id, "until": date(2026, 1, 1)}) == "until"
