"""Loading packs: the default and a different pack work; bad packs are refused with a clear message."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from services.handbook.errors import PackError
from services.handbook.pack import PackHolder, chosen_pack_path, default_pack_path, load_pack, parse_pack
from tests.handbook.conftest import ALT_PACK, Kit, of_rule

DEFAULT_TEXT = default_pack_path().read_text(encoding="utf-8")


def test_default_pack_declares_catalog_ledgers_rules_and_stars() -> None:
    pack = load_pack()
    assert [s.name for s in pack.standard] == [
        "组织设置",
        "党员队伍",
        "组织生活",
        "教育培训",
        "制度执行",
        "阵地建设",
        "保障落实",
    ]
    assert len(pack.ledger) == 7
    assert {r.type for r in pack.rule} == {
        "frequency",
        "quorum",
        "composition",
        "term",
        "deadline",
        "evidence",
        "count",
        "pipeline",
        "lapse",
        "hours",
        "talks",
        "grades",
        "procedure",
        "venue",
        "rectification",
    }
    assert [b.name for b in pack.stars.basic] == ["基本组织", "基本队伍", "基本制度", "基本活动", "基本保障"]
    assert all(r.source for r in pack.rule)


def _problems(text: str, name: str = "bad.toml") -> str:
    with pytest.raises(PackError) as info:
        parse_pack(text, name)
    message = str(info.value)
    assert name in message
    return message


def _replace_in_rule(rule_id: str, old: str, new: str) -> str:
    start = DEFAULT_TEXT.index(f'id = "{rule_id}"')
    end = DEFAULT_TEXT.index("[[", start)
    block = DEFAULT_TEXT[start:end]
    assert old in block
    return DEFAULT_TEXT[:start] + block.replace(old, new, 1) + DEFAULT_TEXT[end:]


def test_syntax_error_names_the_line() -> None:
    message = _problems(DEFAULT_TEXT.replace('name = "组织设置"', 'name = "组织设置', 1))
    assert "TOML 语法错误" in message and "line" in message


def test_unknown_rule_type_is_refused() -> None:
    message = _problems(_replace_in_rule("LIFE-08", 'type = "quorum"', 'type = "quorom"'))
    assert "规则“LIFE-08”" in message and "未知的规则类型“quorom”" in message


def test_unknown_meeting_type_is_refused() -> None:
    message = _problems(
        _replace_in_rule("LIFE-02", 'meeting_type = "committee"', 'meeting_type = "comittee"')
    )
    assert "规则“LIFE-02”：未知的会议类型“comittee”" in message


def test_unknown_field_in_a_ledger_column_is_refused() -> None:
    text = DEFAULT_TEXT.replace(
        '{ field = "lecturer", title = "授课人" }', '{ field = "teacher", title = "授课人" }'
    )
    message = _problems(text)
    assert "台账“education”的“党课”：记录“meeting”没有字段“teacher”" in message


def test_unknown_filter_value_is_refused() -> None:
    text = DEFAULT_TEXT.replace('filter = { type = "theme_day" }', 'filter = { type = "party_day" }', 1)
    assert "字段 type 的取值“party_day”无效" in _problems(text)


def test_missing_message_is_refused() -> None:
    text = _replace_in_rule("ORG-03", 'message = "{branch}书记空缺，应及时补选。"\n', "")
    message = _problems(text)
    assert "规则“ORG-03” → message：缺少此项" in message


def test_threshold_of_the_wrong_type_is_refused() -> None:
    message = _problems(_replace_in_rule("ORG-01", "min = 3", 'min = "三"'))
    assert "规则“ORG-01” → min：应为整数（现为“三”）" in message


def test_unknown_placeholder_in_message_is_refused() -> None:
    message = _problems(_replace_in_rule("LIFE-05", "{period}", "{month}"))
    assert "占位符 {month} 无法填写" in message


def test_dangling_references_are_refused() -> None:
    text = DEFAULT_TEXT.replace('veto_rules = ["ORG-01", "ORG-03", "ORG-05"]', 'veto_rules = ["ORG-99"]')
    text = text.replace('norm = "org.term"', 'norm = "org.terms"', 1)
    message = _problems(text)
    assert "否决规则“ORG-99”不存在" in message
    assert "规范“org.terms”不存在" in message


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(PackError) as info:
        parse_pack(DEFAULT_TEXT.replace('"committee"', '"comittee"'), "y.toml")
    problems = info.value.problems
    assert len(problems) >= 4
    assert any(p.startswith("资料“committee_records”") for p in problems)
    assert any(p.startswith("规则“LIFE-09”") for p in problems)


def test_closed_choices_are_listed_in_chinese() -> None:
    message = _problems(_replace_in_rule("LIFE-02", 'per = "month"', 'per = "week"'))
    assert "规则“LIFE-02” → per：取值“week”无效，可选：month、quarter、year" in message


def test_missing_or_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(PackError, match="文件不存在"):
        load_pack(tmp_path / "none.toml")
    bad = tmp_path / "gbk.toml"
    bad.write_bytes("标准".encode("gbk"))
    with pytest.raises(PackError, match="UTF-8"):
        load_pack(bad)


def test_app_keeps_running_on_the_last_good_pack(tmp_path: Path) -> None:
    holder = PackHolder.default()
    good = holder.pack
    broken = tmp_path / "broken.toml"
    broken.write_text(_replace_in_rule("LIFE-08", 'type = "quorum"', 'type = "quorom"'), encoding="utf-8")
    assert holder.reload(broken) is False
    assert holder.pack is good and holder.path == default_pack_path()
    assert holder.last_error is not None and "broken.toml" in holder.last_error.message
    assert holder.reload(ALT_PACK) is True
    assert holder.pack.pack.id == "alt-county" and holder.last_error is None


def test_alt_pack_changes_catalog_rules_and_thresholds_without_code(kit: Kit) -> None:
    alt = load_pack(ALT_PACK)
    assert [s.name for s in alt.standard] == ["组织建设", "活动经常"]
    unit = kit.branch(full=4, committee=1)
    kit.committee_elected_at_seven(unit)
    for month in (1, 2, 4, 5, 7, 8, 10, 11):
        kit.meeting(unit, "committee", date(2026, month, 10), attendees=unit.members[:2])
    kit.meeting(unit, "congress", date(2026, 3, 10), absent=1)  # 3/4 ≥ 2/3 at least
    default = kit.check("2026", date(2027, 1, 5))
    other = kit.check("2026", date(2027, 1, 5), pack=alt)
    # 4 full members: a branch by the default pack, too small for this county.
    assert of_rule(default, "ORG-01") == []
    assert [f.message for f in of_rule(other, "A-SIZE")] == [
        "B01党支部仅有正式党员 4 名（本县要求 5 名以上）。"
    ]
    # Committee twice a quarter is met; lectures twice a year are not.
    assert of_rule(other, "A-COMMITTEE") == []
    assert [f.period for f in of_rule(other, "A-LECTURE")] == ["2026"]
    assert of_rule(other, "A-QUORUM") == []
    assert {f.rule_id for f in other.findings} == {"A-SIZE", "A-LECTURE"}
    star = other.stars[unit.branch.id]
    assert star.basic == {"组织健全": False, "活动经常": True}
    assert (star.feature_stars, star.total, star.title) == (0, 1, "")
    assert [c.ledger_name for c in other.completeness] == ["组织建设簿", "活动记录簿"]


def test_chosen_pack_is_used_at_the_next_start_unless_it_went_bad(tmp_path: Path) -> None:
    assert PackHolder.startup().pack.pack.id == "default"
    holder = PackHolder.default()
    assert holder.reload(ALT_PACK)
    holder.remember()
    assert chosen_pack_path() == ALT_PACK.resolve()
    assert PackHolder.startup().pack.pack.id == "alt-county"
    # The chosen file is edited into a bad state: the next start uses the default and says why.
    copy = tmp_path / "county.toml"
    copy.write_text(ALT_PACK.read_text(encoding="utf-8").replace("min = 5", "min = five"), encoding="utf-8")
    holder.reload(copy)
    assert holder.pack.pack.id == "alt-county"  # refused: still the good one in this session
    copy.write_text(ALT_PACK.read_text(encoding="utf-8"), encoding="utf-8")
    assert holder.reload(copy)
    holder.remember()
    copy.write_text("[pack\n", encoding="utf-8")
    started = PackHolder.startup()
    assert started.pack.pack.id == "default"
    assert started.last_error is not None and "county.toml" in started.last_error.message
    # Choosing the default again forgets the choice.
    assert started.reload(default_pack_path())
    started.remember()
    assert chosen_pack_path() is None
