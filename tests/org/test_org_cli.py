"""Setting up a township's organisation from the command line: branch edit/dissolve, party groups,
committee seats, 换届 and 列席 — and every bad input refused with the field named, nothing written."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

import main
from services import idcard
from tests.cli_ids import printed_id
from tests.conftest import fresh_database
from tests.printing.pdfcheck import texts

MEMBERS = ["张一", "王二", "李三", "赵四", "钱五", "孙六", "周七", "吴八"]


def run(db: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main.main(["--db", str(db), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def ok(db: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = run(db, capsys, *argv)
    assert code == 0, err
    return out


def refused(db: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Runs a command that must fail with a Chinese message on stderr; returns that message."""
    code, out, err = run(db, capsys, *argv)
    assert code == 1, out
    assert err.startswith("错误："), err
    return err


def add_member(
    db: Path, capsys: pytest.CaptureFixture[str], branch: str, name: str, seq: int, **opt: str
) -> str:
    number = idcard.make("621027", date(1975, 3, 4), seq)
    argv = ["member", "add", "--branch", branch, "--name", name, "--id-number", number]
    argv += ["--joined", opt.get("joined", "2000-07-01")]
    if "status" in opt:
        argv += ["--status", opt["status"]]
    out = ok(db, capsys, *argv)
    return printed_id(out)


@pytest.fixture
def town(db_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    fresh_database(db_path).close()  # an empty ledger, as `township add` would create
    ok(db_path, capsys, "township", "add", "T01", "城关镇")
    ok(db_path, capsys, "branch", "add", "B01", "一村党支部", "--township", "T01", "--founded", "2000-01-01")
    ok(
        db_path,
        capsys,
        "branch",
        "add",
        "B02",
        "镇机关党支部",
        "--township",
        "T01",
        "--domain",
        "organ",
        "--founded",
        "2000-01-01",
    )
    for i, name in enumerate(MEMBERS):
        add_member(db_path, capsys, "B01", name, 2 * i + 1)
    add_member(db_path, capsys, "B01", "郑预备", 41, joined="2026-03-01", status="probationary")
    for i, name in enumerate(["冯甲", "陈乙", "褚丙"]):
        add_member(db_path, capsys, "B02", name, 61 + 2 * i)
    return db_path


def seats(db: Path, capsys: pytest.CaptureFixture[str], branch: str = "B01") -> list[dict[str, object]]:
    return list(json.loads(ok(db, capsys, "committee", "list", "--branch", branch, "--json")))


def test_branch_edit_changes_name_domain_and_code(town: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok(
        town,
        capsys,
        "branch",
        "edit",
        "B01",
        "--name",
        "红旗社区党支部",
        "--domain",
        "community",
        "--code",
        "C01",
    )
    rows = json.loads(ok(town, capsys, "branch", "list", "--json"))
    assert ("C01", "红旗社区党支部") in [(r["code"], r["name"]) for r in rows]
    err = refused(town, capsys, "branch", "edit", "C01", "--code", "B02")
    assert "B02" in err and "已存在" in err


def test_branch_with_members_is_dissolved_not_deleted(town: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(town, capsys, "branch", "delete", "B02")
    assert "只能撤销" in err
    err = refused(town, capsys, "branch", "dissolve", "B02", "--date", "2026-10-01", "--reason", "并入一村")
    assert "仍有在册党员 3 名" in err
    err = refused(town, capsys, "branch", "dissolve", "B02", "--date", "2026-10-01", "--reason", " ")
    assert "原因" in err
    ok(town, capsys, "branch", "add", "B09", "误建党支部", "--township", "T01")
    ok(town, capsys, "branch", "delete", "B09")
    codes = [r["code"] for r in json.loads(ok(town, capsys, "branch", "list", "--json"))]
    assert "B09" not in codes and "B02" in codes


def test_groups_created_assigned_many_at_once_led_and_dissolved(
    town: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok(town, capsys, "group", "add", "--branch", "B01", "--name", "第一党小组", "--leader", "张一")
    ok(town, capsys, "group", "add", "--branch", "B01", "--name", "第二党小组", "--founded", "2026-01-05")
    out = ok(
        town, capsys, "group", "assign", "--branch", "B01", "--group", "第一党小组", "王二", "李三", "赵四"
    )
    assert "3 名" in out
    ok(
        town,
        capsys,
        "group",
        "assign",
        "--branch",
        "B01",
        "--group",
        "第二党小组",
        "--members",
        "钱五,孙六,周七",
    )
    ok(town, capsys, "group", "rename", "--branch", "B01", "--group", "第二党小组", "--name", "东片党小组")
    groups = {
        g["name"]: g for g in json.loads(ok(town, capsys, "group", "list", "--branch", "B01", "--json"))
    }
    assert groups["第一党小组"]["leader"] == "张一" and groups["第一党小组"]["members"] == 4
    assert groups["东片党小组"]["members"] == 3
    ok(town, capsys, "group", "dissolve", "--branch", "B01", "--group", "东片党小组", "--date", "2026-11-01")
    names = [g["name"] for g in json.loads(ok(town, capsys, "group", "list", "--branch", "B01", "--json"))]
    assert names == ["第一党小组"]


def test_group_refuses_members_of_another_branch_and_writes_nothing(
    town: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok(town, capsys, "group", "add", "--branch", "B01", "--name", "第一党小组")
    member_b02 = json.loads(ok(town, capsys, "member", "list", "--branch", "B02", "--json"))[0]["id"]
    err = refused(
        town, capsys, "group", "assign", "--branch", "B01", "--group", "第一党小组", "王二", member_b02
    )
    assert "不是本支部" in err
    group = json.loads(ok(town, capsys, "group", "list", "--branch", "B01", "--json"))[0]
    assert group["members"] == 0  # 王二 was not assigned either: one transaction
    err = refused(town, capsys, "group", "add", "--branch", "B01", "--name", "第一党小组")
    assert "已有" in err


def test_committee_seats_and_their_rules(town: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 8 full members: a committee may be set up.
    out = ok(
        town,
        capsys,
        "committee",
        "seat",
        "add",
        "--branch",
        "B01",
        "--member",
        "张一",
        "--role",
        "secretary",
        "--from",
        "2024-01-01",
    )
    assert "书记" in out
    ok(
        town,
        capsys,
        "committee",
        "seat",
        "add",
        "--branch",
        "B01",
        "--member",
        "王二",
        "--role",
        "组织委员",
        "--from",
        "2024-01-01",
    )
    err = refused(
        town,
        capsys,
        "committee",
        "seat",
        "add",
        "--branch",
        "B01",
        "--member",
        "李三",
        "--role",
        "secretary",
        "--from",
        "2025-01-01",
    )
    assert "同一时间只能有一名书记" in err
    err = refused(
        town,
        capsys,
        "committee",
        "seat",
        "add",
        "--branch",
        "B01",
        "--member",
        "郑预备",
        "--role",
        "propaganda",
        "--from",
        "2026-06-01",
    )
    assert "预备党员" in err
    member_b02 = json.loads(ok(town, capsys, "member", "list", "--branch", "B02", "--json"))[0]["id"]
    err = refused(
        town,
        capsys,
        "committee",
        "seat",
        "add",
        "--branch",
        "B01",
        "--member",
        member_b02,
        "--role",
        "propaganda",
        "--from",
        "2026-06-01",
    )
    assert "不是本支部" in err
    err = refused(
        town,
        capsys,
        "committee",
        "seat",
        "add",
        "--branch",
        "B01",
        "--member",
        "李三",
        "--role",
        "propaganda",
        "--from",
        "2026-06-01",
        "--to",
        "2026-05-01",
    )
    assert "离任日期" in err
    err = refused(
        town,
        capsys,
        "committee",
        "seat",
        "add",
        "--branch",
        "B01",
        "--member",
        "李三",
        "--role",
        "chairman",
        "--from",
        "2026-06-01",
    )
    assert "未知的职务" in err
    assert len(seats(town, capsys)) == 2
    ok(
        town,
        capsys,
        "committee",
        "seat",
        "end",
        "--branch",
        "B01",
        "--member",
        "张一",
        "--date",
        "2026-01-01",
    )
    ok(
        town,
        capsys,
        "committee",
        "seat",
        "add",
        "--branch",
        "B01",
        "--member",
        "李三",
        "--role",
        "secretary",
        "--from",
        "2026-01-01",
    )
    current = [(r["name"], r["role"]) for r in seats(town, capsys) if r["end_on"] is None]
    assert sorted(current) == [("李三", "secretary"), ("王二", "organization")]


def test_small_branch_has_a_secretary_and_no_committee(
    town: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = refused(
        town,
        capsys,
        "committee",
        "seat",
        "add",
        "--branch",
        "B02",
        "--member",
        "冯甲",
        "--role",
        "organization",
        "--from",
        "2026-01-01",
    )
    assert "不足 7 名" in err
    ok(
        town,
        capsys,
        "committee",
        "seat",
        "add",
        "--branch",
        "B02",
        "--member",
        "冯甲",
        "--role",
        "secretary",
        "--from",
        "2026-01-01",
    )
    ok(
        town,
        capsys,
        "committee",
        "seat",
        "add",
        "--branch",
        "B02",
        "--member",
        "陈乙",
        "--role",
        "deputy",
        "--from",
        "2026-01-01",
    )


def test_secretary_with_under_a_year_of_party_age_is_warned_not_refused(
    town: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_member(town, capsys, "B02", "卫新", 91, joined="2025-03-01")  # full on 2026-03-01 at the earliest
    out = ok(
        town,
        capsys,
        "committee",
        "seat",
        "add",
        "--branch",
        "B02",
        "--member",
        "卫新",
        "--role",
        "secretary",
        "--from",
        "2026-06-01",
    )
    assert "提示：" in out and "党龄不足 1 年" in out


def test_election_ends_old_seats_opens_new_ones_and_a_five_year_village_term(
    town: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok(
        town,
        capsys,
        "committee",
        "seat",
        "add",
        "--branch",
        "B01",
        "--member",
        "张一",
        "--role",
        "secretary",
        "--from",
        "2021-01-01",
    )
    out = ok(
        town,
        capsys,
        "election",
        "record",
        "--branch",
        "B01",
        "--date",
        "2026-06-30",
        "--elected",
        "王二:secretary,李三:organization,赵四:propaganda",
        "--exclude",
        "吴八:abroad:在国外务工",
        "--leave",
        "周七:住院",
        "--observer",
        "戚九:乡镇组织委员",
    )
    assert "五分之四" in out
    rows = seats(town, capsys)
    old = next(r for r in rows if r["name"] == "张一")
    assert old["end_on"] == "2026-06-30"
    current = sorted((r["name"], r["role"]) for r in rows if r["end_on"] is None)
    assert current == [("李三", "organization"), ("王二", "secretary"), ("赵四", "propaganda")]
    terms = json.loads(ok(town, capsys, "committee", "terms", "--branch", "B01", "--json"))
    assert terms[-1]["start_on"] == "2026-06-30" and terms[-1]["due_on"] == "2031-06-30"
    meeting = json.loads(ok(town, capsys, "meeting", "show", printed_id(out), "--json"))
    assert meeting["observers"] == [{"name": "戚九", "unit": "乡镇组织委员"}]
    assert "吴八" not in [a["name"] for a in meeting["attendance"]]
    assert meeting["excluded"] == [{"name": "吴八", "ground": "abroad", "note": "在国外务工"}]
    pdf = town.parent / "election.pdf"
    ok(town, capsys, "print-meeting", printed_id(out), str(pdf))
    flat = "".join(texts(pdf)).replace(" ", "").replace("\n", "")
    assert "不计入应到会吴八（出国出境半年以上，在国外务工）" in flat
    assert "列席人员戚九（乡镇组织委员）" in flat
    assert "应到会有表决权党员7人，实到6人，符合五分之四以上到会的要求" in flat


def test_election_below_four_fifths_or_on_a_ground_not_allowed_writes_nothing(
    town: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 8 voting members; two away leaves 6 < 4/5 of 8 (6.4).
    err = refused(
        town,
        capsys,
        "election",
        "record",
        "--branch",
        "B01",
        "--date",
        "2026-06-30",
        "--elected",
        "王二:secretary",
        "--leave",
        "周七:住院",
        "--absent",
        "吴八:外出",
    )
    assert "五分之四" in err and "至少 7 人" in err
    err = refused(
        town,
        capsys,
        "election",
        "record",
        "--branch",
        "B01",
        "--date",
        "2026-06-30",
        "--elected",
        "王二:secretary",
        "--exclude",
        "吴八:busy",
    )
    assert "不在允许的范围内" in err
    err = refused(
        town,
        capsys,
        "election",
        "record",
        "--branch",
        "B01",
        "--date",
        "2026-06-30",
        "--elected",
        "郑预备:secretary",
    )
    assert "预备党员" in err
    assert seats(town, capsys) == []
    assert json.loads(ok(town, capsys, "committee", "terms", "--branch", "B01", "--json")) == []
    assert json.loads(ok(town, capsys, "meeting", "list", "--branch", "B01", "--json")) == []


def test_observer_is_shown_and_not_counted_and_needs_a_name(
    town: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = ok(
        town,
        capsys,
        "meeting",
        "add",
        "--branch",
        "B02",
        "--type",
        "congress",
        "--date",
        "2026-11-02",
        "--topics",
        "学习",
        "--observer",
        "戚九:驻村第一书记",
        "--observer",
        "蒋十:包村干部",
    )
    meeting_id = printed_id(out)
    assert "应到 3 人" in out and "列席：戚九（驻村第一书记）、蒋十（包村干部）" in out
    shown = ok(town, capsys, "meeting", "show", meeting_id)
    assert "戚九\t列席\t驻村第一书记" in shown
    err = refused(
        town,
        capsys,
        "meeting",
        "add",
        "--branch",
        "B02",
        "--type",
        "congress",
        "--date",
        "2026-11-03",
        "--topics",
        "学习",
        "--observer",
        ":驻村第一书记",
    )
    assert "列席" in err and "姓名" in err
    assert len(json.loads(ok(town, capsys, "meeting", "list", "--branch", "B02", "--json"))) == 1


@pytest.mark.parametrize(
    ("extra", "field_words"),
    [
        (["--observer", "冯甲:本村"], ("冯甲", "本支部党员", "出席情况")),  # a member is not a 列席 guest
        (["--observer", "戚九:驻村", "--observer", "戚九:驻村"], ("戚九", "重复")),
        (["--leave", "冯甲:外出", "--absent", "冯甲"], ("冯甲", "既请假又缺席")),
        (["--leave", "冯甲:外出", "--leave", "冯甲:生病"], ("冯甲", "两次")),
        (["--leave", "冯甲"], ("冯甲", "请假须填写原因")),
    ],
)
def test_attendance_and_guests_that_contradict_themselves_are_refused_naming_the_person(
    town: Path, capsys: pytest.CaptureFixture[str], extra: list[str], field_words: tuple[str, ...]
) -> None:
    before = json.loads(ok(town, capsys, "meeting", "list", "--branch", "B02", "--json"))
    err = refused(
        town,
        capsys,
        "meeting",
        "add",
        "--branch",
        "B02",
        "--type",
        "congress",
        "--date",
        "2026-11-03",
        "--topics",
        "学习",
        *extra,
    )
    assert all(word in err for word in field_words), err
    assert json.loads(ok(town, capsys, "meeting", "list", "--branch", "B02", "--json")) == before


def test_township_edit_renames_and_refuses_a_taken_code(
    town: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok(town, capsys, "township", "add", "T02", "河西镇")
    ok(town, capsys, "township", "edit", "T01", "--name", "城关街道", "--county", "正宁县")
    rows = json.loads(ok(town, capsys, "branch", "list", "--json"))
    assert ("T01", "城关街道") in [(r["code"], r["name"]) for r in rows]
    err = refused(town, capsys, "township", "edit", "T01", "--code", "T02")
    assert "乡镇代码 T02 已存在" in err


def test_meeting_export_lists_the_outside_attendees(
    town: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import openpyxl

    ok(
        town,
        capsys,
        "meeting",
        "add",
        "--branch",
        "B02",
        "--type",
        "congress",
        "--date",
        "2026-11-02",
        "--topics",
        "学习",
        "--observer",
        "戚九:驻村第一书记",
        "--observer",
        "蒋十:镇包村干部",
    )
    out = tmp_path / "meetings.xlsx"
    ok(town, capsys, "export-xlsx", "meetings", str(out))
    sheet = openpyxl.load_workbook(out).worksheets[0]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    header = next(r for r in rows if "列席（非本支部）" in r)
    column = header.index("列席（非本支部）")
    assert rows[rows.index(header) + 1][column] == "戚九（驻村第一书记）、蒋十（镇包村干部）"
    assert rows[rows.index(header) + 1][header.index("应到")] == 3


def test_meeting_show_gives_the_time_minutes_and_lecturer_a_clerk_typed(
    town: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = ok(
        town,
        capsys,
        "meeting",
        "add",
        "--branch",
        "B02",
        "--type",
        "lecture",
        "--date",
        "2026-11-02",
        "--time",
        "09:30",
        "--topics",
        "党课：学习党章",
        "--lecturer",
        "王书记",
        "--minutes",
        "王书记讲授党章第一章。",
    )
    meeting_id = printed_id(out)
    shown = ok(town, capsys, "meeting", "show", meeting_id)
    assert "日期：2026-11-02 09:30" in shown
    assert "授课人：王书记" in shown and "会议记录：王书记讲授党章第一章。" in shown
    data = json.loads(ok(town, capsys, "meeting", "show", meeting_id, "--json"))
    assert (data["start_time"], data["lecturer"]) == ("09:30", "王书记")
