"""全县总览 from received packages: the same judgement as each township's own check, the star
distribution adds up, the Excel and PDF hold it, and the command line gives it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from python_calamine import CalamineWorkbook

import main
from services.county.overview import NOT_JUDGED, county_overview, write_overview_pdf, write_overview_xlsx
from services.errors import ValidationError
from services.handbook.pack import load_pack
from services.handbook.period import parse_period
from services.handbook.service import run_check
from tests.county.conftest import Desk

AS_OF = date(2026, 11, 24)


def test_overview_judges_every_branch_as_its_townships_own_check_does(any_desk: Desk) -> None:
    shared_desk = any_desk
    pack = load_pack()
    with shared_desk.db.reader() as s:
        ov = county_overview(s, pack, 2026, as_of=AS_OF)
    assert [t.code for t in ov.townships] == ["T01", "T02"]
    for town in (shared_desk.t01, shared_desk.t02a):
        with town.db.reader() as s:
            own = run_check(s, pack, parse_period("2026"), as_of=AS_OF)
        mine = {ln.branch_code: ln for ln in ov.lines if ln.township_code == town.code}
        assert set(mine) == {b.code for b in own.branches}
        for b in own.branches:
            line = mine[b.code]
            assert line.rating.total == own.stars[b.id].total and line.rating.rated == own.stars[b.id].rated
            errors = sum(1 for f in own.for_branch(b.id) if f.importance == "error")
            assert line.errors == errors
            worst: dict[str, int] = {}  # the township's own findings: period → worst rank
            for f in own.for_branch(b.id):
                worst[f.period] = max(worst.get(f.period, 0), 1 if f.explained else f.rank)
            for month in range(1, 12):  # November is still open on AS_OF
                label = f"2026-{month:02d}"
                if label in worst:
                    assert line.cells[month - 1] >= worst[label]
    assert all(ln.cells[11] in (NOT_JUDGED, 1, 2, 3) for ln in ov.lines)  # December has not ended
    for t in ov.townships:
        assert t.rated + t.not_rated == t.branches == sum(1 for ln in ov.lines if ln.township_code == t.code)


def test_overview_refuses_a_year_outside_the_range_naming_the_field(shared_desk: Desk) -> None:
    with shared_desk.db.reader() as s, pytest.raises(ValidationError) as err:
        county_overview(s, load_pack(), 1899)
    assert err.value.field == "year" and "年份" in err.value.message


def test_overview_exports_grid_and_star_sheets_and_prints(shared_desk: Desk, tmp_path: Path) -> None:
    with shared_desk.db.reader() as s:
        ov = county_overview(s, load_pack(), 2026, as_of=AS_OF)
    rows = write_overview_xlsx(ov, tmp_path / "ov.xlsx")
    assert rows == len(ov.lines) + len(ov.townships)
    book = CalamineWorkbook.from_path(str(tmp_path / "ov.xlsx"))
    grid = book.get_sheet_by_name("2026年全县总览").to_python()
    assert grid[0][:4] == ["乡镇", "支部代码", "支部", "星级"] and len(grid) == len(ov.lines) + 1
    stars = book.get_sheet_by_name("星级分布").to_python()
    for t, row in zip(ov.townships, stars[1:], strict=True):
        assert row[0] == t.name and row[1] == t.branches
        assert sum(row[3 : 3 + ov.max_stars + 1]) == t.rated
    pdf = write_overview_pdf(ov, tmp_path / "ov.pdf")
    text = "".join(p.extract_text() for p in PdfReader(str(pdf)).pages)
    assert "全县党支部对标检查总览" in text and ov.townships[0].name in text
    with pytest.raises(Exception, match="文件夹不存在"):
        write_overview_xlsx(ov, tmp_path / "missing" / "ov.xlsx")
    assert not (tmp_path / "missing").exists()


def test_cli_county_overview_prints_distribution_and_writes_files(
    shared_desk: Desk, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(shared_desk.db.path)
    xlsx, pdf = tmp_path / "总览.xlsx", tmp_path / "总览.pdf"
    argv = ["--db", db, "county", "overview", "--year", "2026", "--as-of", "2026-11-24"]
    code = main.main([*argv, "--xlsx", str(xlsx), "--pdf", str(pdf)])
    out, _err = capsys.readouterr()
    assert code == 0, out
    assert "2026 年全县总览" in out and "（T01）" in out and "（T02）" in out
    assert xlsx.exists() and pdf.exists()
    assert main.main([*argv, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [t["code"] for t in data["townships"]] == ["T01", "T02"]
    assert all(len(b["cells"]) == 13 for b in data["branches"])
    code = main.main(["--db", db, "county", "overview", "--year", "3000"])
    _out, err = capsys.readouterr()
    assert code == 1 and "年份" in err
