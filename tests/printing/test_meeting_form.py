"""One meeting's record form: every fact of the meeting on paper, photos, and what goes wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from main import main
from models import Attachment
from services import attachments
from services.db import Database
from services.printing.booklet import build_meeting_form
from tests.printing import pdfcheck
from tests.printing.conftest import END_MARK, PrintFixture, render_png


def _images(pdf: Path) -> int:
    count = 0
    for page in pdfcheck.reader(pdf).pages:
        xobjects = page["/Resources"].get("/XObject") or {}
        count += sum(1 for x in xobjects.values() if x.get_object().get("/Subtype") == "/Image")
    return count


def test_print_meeting_form_shows_every_fact(
    db: Database, db_path: Path, branch_year: PrintFixture, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "会议.pdf"
    assert main(["--db", str(db_path), "print-meeting", branch_year.long_meeting_id, str(out)]) == 0
    assert "共" in capsys.readouterr().out
    pages = pdfcheck.texts(out)
    text = pdfcheck.compact("".join(pages))
    for fact in (
        "红旗村党支部支部党员大会记录",
        "2026年3月15日（星期日）",
        "09:00—11:30",
        "村党群服务中心会议室",
        f"主持人{branch_year.member_names[0]}",
        f"记录人{branch_year.member_names[1]}",
        "应到人数12人",
        "实到人数10人",
        f"{branch_year.leave_name}（外出务工）",
        f"{branch_year.absent_name}（未说明原因）",
        "应到12人（有表决权12人），实到10人（有表决权10人），符合过半数要求",
        pdfcheck.compact(branch_year.topics),
        "同意将李某某确定为入党积极分子",
        pdfcheck.compact(END_MARK),
        "会议现场",
        "签到表",
        "主持人（签字）",
        "记录人（签字）",
    ):
        assert fact in text, fact
    assert len(pages) >= 3
    for n, page in enumerate(pages, start=1):
        assert f"第{n}页共{len(pages)}页" in pdfcheck.compact(page)
    assert _images(out) == 2
    assert all(f["fontfile2"] for f in pdfcheck.fonts(out))
    assert render_png(out, tmp_path / "form", first=1, last=1)


def test_missing_photo_file_prints_a_note_instead_of_failing(
    db: Database, branch_year: PrintFixture, tmp_path: Path
) -> None:
    with db.reader() as s:
        for att in attachments.list_attachments(s, "meeting", branch_year.long_meeting_id):
            attachments.file_of(s, att).unlink()
        rendered = build_meeting_form(s, branch_year.long_meeting_id)
    text = pdfcheck.compact("".join(pdfcheck.texts(rendered.data)))
    assert "照片文件缺失：现场.jpg" in text
    assert "照片文件缺失：签到.jpg" in text


def test_unknown_meeting_is_refused_and_nothing_written(
    db: Database, db_path: Path, branch_year: PrintFixture, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.pdf"
    assert main(["--db", str(db_path), "print-meeting", "no-such-id", str(out)]) == 1
    assert "找不到该会议记录" in capsys.readouterr().err
    assert not out.exists()


def test_output_must_be_a_pdf_name(
    db: Database, db_path: Path, branch_year: PrintFixture, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.docx"
    assert main(["--db", str(db_path), "print-meeting", branch_year.long_meeting_id, str(out)]) == 1
    assert "应以 .pdf 结尾" in capsys.readouterr().err
    assert not out.exists()


def test_deleted_photo_rows_are_not_printed(db: Database, branch_year: PrintFixture) -> None:
    with db.transaction("test") as s:
        first = s.query(Attachment).filter_by(owner_id=branch_year.long_meeting_id, kind="photo").one()
        attachments.remove_attachment(s, first.id)
    with db.reader() as s:
        rendered = build_meeting_form(s, branch_year.long_meeting_id)
    text = pdfcheck.compact("".join(pdfcheck.texts(rendered.data)))
    assert "会议现场" not in text
    assert "签到表" in text


def test_phone_photo_is_printed_upright(db: Database, branch_year: PrintFixture, tmp_path: Path) -> None:
    from PIL import Image

    photo = tmp_path / "手机.jpg"
    img = Image.new("RGB", (1600, 1200), (30, 160, 60))  # stored landscape …
    exif = Image.Exif()
    exif[0x0112] = 6  # … with "rotate 90° clockwise to view", as phones write it
    img.save(photo, "JPEG", exif=exif.tobytes())
    with db.transaction("test") as s:
        attachments.store_file(s, "meeting", branch_year.short_meeting_id, photo, caption="手机拍摄")
    with db.reader() as s:
        rendered = build_meeting_form(s, branch_year.short_meeting_id)
    images = [
        x.get_object()
        for page in pdfcheck.reader(rendered.data).pages
        for x in (page["/Resources"].get("/XObject") or {}).values()
        if x.get_object().get("/Subtype") == "/Image"
    ]
    assert len(images) == 1
    assert images[0]["/Height"] > images[0]["/Width"]  # portrait, as the clerk saw it
    assert max(images[0]["/Width"], images[0]["/Height"]) <= 640  # a thumbnail, not the full photo
