"""Property: any Unicode a clerk (or a pasted Word document) can enter is either refused with a message
or stored cleaned — and then survives every output (xlsx, PDF, sync package, --json) and imports back
as it was stored."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

import main
from models import Meeting, Member
from services import meetings, members, textclean
from services.db import Database
from services.errors import LedgerError
from services.excel.export import export_xlsx
from services.excel.roster_import import plan_roster_import
from services.printing.booklet import build_meeting_form
from services.sync.exporter import export_package
from services.sync.package import read_package
from tests.conftest import TODAY, Builder

CONTROL = st.characters(min_codepoint=0, max_codepoint=0x9F).filter(lambda c: not c.isalnum())
RARE_CJK = st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF)  # CJK Extension B
TOKEN = st.one_of(
    CONTROL,
    RARE_CJK,
    st.sampled_from(
        ["😀", "👨\u200d👩\u200d👧", "🇨🇳", "❤️", "\u200d", "\ufe0f", "：", "，", "·", "•", "_x000B_"]
    ),
    st.sampled_from(["\u200b", "\ufeff", "\u2028", "\u00ad", "\u202e", "\ud800", "\udfff", "\uffff", "\r\n"]),
)
PIECE = st.one_of(st.text(max_size=20), st.lists(TOKEN, max_size=20).map("".join))
LONG = st.integers(min_value=32_700, max_value=40_000).map(lambda n: ("会议纪要，" * (n // 5 + 1))[:n])
TEXT = st.one_of(st.lists(PIECE, max_size=4).map("".join), st.tuples(PIECE, LONG).map("".join))

COUNTER = iter(range(1000, 100000, 2))


def _cell_rows(path: Path, sheet: str) -> list[list[object]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()  # type: ignore[no-any-return]


def _joined(header: list[str], row: list[object], name: str) -> str:
    """A column's text including its （续n） continuation columns."""
    parts = [str(row[i]) for i, h in enumerate(header) if h == name or h.startswith(f"{name}（续")]
    return "".join(p for p in parts if p)


@pytest.mark.slow
@settings(
    max_examples=8,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: each example exports everything
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(
    name=st.lists(PIECE, max_size=3).map(lambda p: "张" + "".join(p)), notes=PIECE, minutes=TEXT, topics=PIECE
)
@example(
    name="买买提•艾力\u200b",
    notes="备注：_x000B_第二行\ud800",
    minutes="😀\x0b" + "纪要𠀀" * 12_000,
    topics="\x00学习\r\n党章",
)
def test_any_text_is_refused_or_survives_every_output(
    db: Database,
    db_path: Path,
    build: Builder,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    notes: str,
    minutes: str,
    topics: str,
) -> None:
    if not build.township_id:
        build.branch("B01", "一村党支部")
    with db.reader() as s:
        branch_id = s.scalars(__import__("sqlalchemy").select(Member.branch_id).limit(1)).first()
    if branch_id is None:
        from models import Branch

        with db.reader() as s:
            branch_id = s.scalars(__import__("sqlalchemy").select(Branch.id)).one()
    seq = next(COUNTER)
    data = members.MemberInput(
        name=name, id_number=build.id_number(), joined_on=date(2005, 7, 1), notes=notes
    )
    try:
        with db.transaction("t") as s:
            member_id = members.create_member(s, branch_id, data, today=TODAY).id
            meeting_id = meetings.create_meeting(
                s,
                branch_id,
                meetings.MeetingInput(
                    type="congress",
                    held_on=date(2026, 1, 1 + seq % 28),
                    topics="议题" + topics,
                    minutes=minutes,
                    place=notes,
                ),
                today=TODAY,
            ).id
    except LedgerError as exc:
        assert exc.message.strip()  # refused, with a message
        return
    with db.reader() as s:
        member = s.get(Member, member_id)
        meeting = s.get(Meeting, meeting_id)
        assert member is not None and meeting is not None
        stored = (member.name, member.notes, meeting.minutes, meeting.topics)
        # stored = cleaned input; cleaning is idempotent
        assert meeting.minutes == textclean.clean(minutes) == textclean.clean(meeting.minutes)
        assert member.name == textclean.clean(name, textclean.PERSON)
        # xlsx
        export_xlsx(s, "meetings", tmp_path / "m.xlsx")
        export_xlsx(s, "members", tmp_path / "r.xlsx")
        # PDF
        build_meeting_form(s, meeting_id)
    rows = _cell_rows(tmp_path / "m.xlsx", "会议记录")
    header = [str(h) for h in rows[0]]
    got = [r for r in rows[1:] if _joined(header, r, "议题") == stored[3]]
    assert any(_joined(header, r, "会议记录") == stored[2] for r in got)
    # import back: the roster export re-imported into its branch changes nothing for this member
    with db.reader() as s:
        plan = plan_roster_import(s, branch_id, tmp_path / "r.xlsx", today=TODAY)
    mine = [r for r in plan.rows if r.cells.get("id_number") == member.id_number]
    assert [r.action for r in mine] == ["unchanged"], [p.describe() for p in plan.problems][:3]
    # sync package
    out = tmp_path / f"sync{seq}"
    out.mkdir()
    result = export_package(db, out, full=True, key=Ed25519PrivateKey.generate(), user="t")
    opened = read_package(result.path)
    cols = opened.manifest.tables["meeting"]["columns"]
    sent = {r[cols.index("id")]: r for r in opened.rows["meeting"]}
    assert sent[meeting_id][cols.index("minutes")] == stored[2]
    # --json
    capsys.readouterr()
    assert main.main(["--db", str(db_path), "meeting", "show", meeting_id, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["minutes"] == stored[2] and shown["topics"] == stored[3]
