"""The yearly branch booklet as a clerk prints it from the command line, read back with pypdf."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from main import main
from services.db import Database
from tests.conftest import Builder
from tests.printing import pdfcheck
from tests.printing.conftest import END_MARK, YEAR, PrintFixture, render_png


@pytest.fixture
def booklet(db: Database, db_path: Path, branch_year: PrintFixture, tmp_path: Path) -> Path:
    out = tmp_path / "台账" / "红旗村2026.pdf"
    out.parent.mkdir()
    code = main(
        [
            "--db",
            str(db_path),
            "print-archive",
            "--branch",
            "B01",
            "--year",
            str(YEAR),
            "--keeper",
            "王书记",
            str(out),
        ]
    )
    assert code == 0
    return out


def test_booklet_text_extracts_names_topics_and_cover(booklet: Path, branch_year: PrintFixture) -> None:
    pages = pdfcheck.texts(booklet)
    whole = pdfcheck.compact("".join(pages))
    cover = pdfcheck.compact(pages[0])
    for expected in (
        "档案封面",
        "城关镇",
        "红旗村党支部",
        "2026年",
        "红旗村党支部工作台账",
        "第1卷",
        "王书记",
    ):
        assert expected in cover
    for name in branch_year.member_names[:12]:
        assert name in whole
    assert pdfcheck.compact(branch_year.topics) in whole
    assert f"{branch_year.leave_name}（{branch_year.leave_reason}）" in whole
    assert "目录清单" in pdfcheck.compact(pages[1])
    groups_page = next(pdfcheck.compact(p) for p in pages if "党小组及成员" in p and "组长" in p)
    assert f"第一党小组{branch_year.member_names[5]}" in groups_page  # the 组长 column after the name


def test_every_font_is_an_embedded_truetype_subset(booklet: Path) -> None:
    fonts = pdfcheck.fonts(booklet)
    assert fonts, "no fonts found"
    for font in fonts:
        assert font["subtype"] == "/TrueType", font
        assert font["fontfile2"], f"font not embedded: {font}"
        assert font["tounicode"], f"no ToUnicode map (text would not extract): {font}"
        assert "Helvetica" not in font["name"] and "Times" not in font["name"], font


def test_footer_counts_every_page(booklet: Path) -> None:
    pages = pdfcheck.texts(booklet)
    total = len(pages)
    assert total > 10
    for number, text in enumerate(pages[1:], start=2):
        assert f"第{number}页共{total}页" in pdfcheck.compact(text)
    assert f"本卷页数{total}页" in pdfcheck.compact(pages[0])


def test_catalog_page_numbers_are_where_sections_really_start(booklet: Path) -> None:
    pages = pdfcheck.texts(booklet)
    rows = pdfcheck.catalog(pages)
    # bookmarks are placed on the page where each section is really drawn
    marks = [(level, title, page) for level, title, page in pdfcheck.outline(booklet) if title != "目录清单"]
    assert len(rows) == len(marks) > 10
    for (level, title, first, last), (mark_level, mark_title, mark_page) in zip(rows, marks, strict=True):
        assert level == mark_level + 1
        assert pdfcheck.compact(title).rstrip("…") in pdfcheck.compact(mark_title.replace("记录", "")) or (
            pdfcheck.compact(title).split("：")[-1].rstrip("…")[:10] in pdfcheck.compact(pages[first - 1])
        )
        assert first == mark_page, f"{title}: catalog says {first}, section starts on {mark_page}"
        assert last >= first
        assert f"第{first}页共{len(pages)}页" in pdfcheck.compact(pages[first - 1])
    # the level-2 ranges tile the body: each ends just before the next starts, the last at the end
    leaves = [(first, last) for level, _t, first, last in rows if level == 2]
    assert leaves[0][0] > 2  # after the cover and the catalog
    for (_f, last), (nxt, _l) in itertools.pairwise(leaves):
        assert nxt == last + 1
    assert leaves[-1][1] == len(pages)


def test_long_minutes_flow_across_pages_without_loss(booklet: Path, branch_year: PrintFixture) -> None:
    pages = pdfcheck.texts(booklet)
    marks = {title: page for _level, title, page in pdfcheck.outline(booklet)}
    start = next(page for title, page in marks.items() if "支部党员大会记录" in title)
    form_pages = [p for p in pages[start - 1 :] if "支部党员大会记录" in pdfcheck.compact(p)]
    assert len(form_pages) >= 3, "60 paragraphs of minutes should take several pages"
    text = pdfcheck.compact("".join(form_pages))
    positions = [text.find(f"{i}.会议传达学习了上级党委") for i in range(1, 61)]
    assert all(p >= 0 for p in positions), [i for i, p in enumerate(positions, 1) if p < 0]
    assert positions == sorted(positions)
    assert pdfcheck.compact(END_MARK) in text
    assert text.index(pdfcheck.compact(END_MARK)) < text.index("会议决议") < text.index("主持人（签字）")


def test_first_pages_render_to_png(booklet: Path, tmp_path: Path) -> None:
    pngs = render_png(booklet, tmp_path / "page", first=1, last=3)
    assert len(pngs) == 3
    assert all(p.stat().st_size > 5000 for p in pngs)


def test_unknown_branch_is_refused_and_nothing_written(
    db: Database, db_path: Path, branch_year: PrintFixture, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.pdf"
    assert main(["--db", str(db_path), "print-archive", "--branch", "NOPE", "--year", "2026", str(out)]) == 1
    assert "找不到代码为 NOPE 的支部" in capsys.readouterr().err
    assert not out.exists()


def test_bad_year_and_missing_folder_are_refused(
    db: Database, db_path: Path, branch_year: PrintFixture, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "--db",
                str(db_path),
                "print-archive",
                "--branch",
                "B01",
                "--year",
                "26",
                str(tmp_path / "a.pdf"),
            ]
        )
        == 1
    )
    assert "年度 26 不合理" in capsys.readouterr().err
    missing = tmp_path / "没有这个文件夹" / "a.pdf"
    assert (
        main(["--db", str(db_path), "print-archive", "--branch", "B01", "--year", "2026", str(missing)]) == 1
    )
    assert "保存位置不存在" in capsys.readouterr().err
    assert not missing.parent.exists()


def test_failed_print_leaves_the_previous_file_untouched(
    db: Database, db_path: Path, branch_year: PrintFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "old.pdf"
    out.write_bytes(b"previous booklet")
    from services.printing import output

    def broken(data: bytes | Path, expect_pages: int) -> None:
        raise output.VerifyFailed("读回失败")

    monkeypatch.setattr(output, "verify_pdf", broken)
    assert main(["--db", str(db_path), "print-archive", "--branch", "B01", "--year", "2026", str(out)]) == 1
    assert out.read_bytes() == b"previous booklet"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_characters_missing_from_the_font_are_reported(
    db: Database,
    db_path: Path,
    build: Builder,
    branch_year: PrintFixture,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    build.member(branch_year.branch_id, "王𠀀")  # U+20000, outside the font: would print as a box
    out = tmp_path / "rare.pdf"
    assert (
        main(
            [
                "--db",
                str(db_path),
                "print-archive",
                "--branch",
                "B01",
                "--year",
                str(YEAR),
                "--no-forms",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "打印字体中没有这些字：𠀀" in printed
    assert out.exists()


def test_ordinary_names_need_no_warning(booklet: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "打印字体中没有" not in capsys.readouterr().out


def test_the_cover_carries_the_audit_log_anchor_that_audit_verify_accepts(
    booklet: Path, db: Database, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from services import audit

    with db.reader() as s:
        number, digest = audit.anchor(s)
    lines = pdfcheck.texts(booklet)[0].splitlines()
    assert f"{number}:{digest}" in [line.strip() for line in lines]  # one unbroken line, typed back later
    capsys.readouterr()
    assert main(["--db", str(db_path), "audit", "verify", "--anchor", f"{number}:{digest}"]) == 0
