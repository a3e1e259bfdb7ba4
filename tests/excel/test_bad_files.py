"""Files that cannot be imported: a clear message, no crash, nothing written."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from msoffcrypto.format.ooxml import OOXMLFile
from sqlalchemy import func, select

from models import Member
from services.db import Database
from services.excel.errors import ExcelFileError
from services.excel.roster_import import plan_roster_import
from tests.conftest import TODAY
from tests.excel.conftest import ROSTER_HEADER, person, write_book

Book = Callable[..., Path]


def refused(db: Database, branch_id: str, path: Path) -> str:
    with db.reader() as s, pytest.raises(ExcelFileError) as info:
        plan_roster_import(s, branch_id, path, today=TODAY)
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Member)) == 0
    return info.value.message


def test_old_xls_renamed_to_xlsx(db: Database, branch_id: str, tmp_path: Path) -> None:
    # An OLE2 compound file with a "Workbook" stream is what Excel 97-2003 writes.
    path = tmp_path / "旧版.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + "Workbook".encode("utf-16-le") * 4)
    message = refused(db, branch_id, path)
    assert "97-2003" in message and "扩展名虽是“.xlsx”" in message


def test_genuine_old_xls_is_called_the_old_format_not_renamed(
    db: Database, branch_id: str, tmp_path: Path
) -> None:
    path = tmp_path / "党员名册.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + "Workbook".encode("utf-16-le") * 4)
    message = refused(db, branch_id, path)
    assert "旧版 Excel 97-2003 格式" in message and "扩展名" not in message
    assert "另存为" in message and "*.xlsx" in message


def test_csv_renamed_to_xlsx(db: Database, branch_id: str, tmp_path: Path) -> None:
    path = tmp_path / "名册.xlsx"
    path.write_text("姓名,公民身份号码,入党日期\n张三,620421198005170011,2005-07-01\n", encoding="utf-8-sig")
    message = refused(db, branch_id, path)
    assert "CSV" in message and "另存为" in message


def test_random_bytes_renamed_to_xlsx(db: Database, branch_id: str, tmp_path: Path) -> None:
    path = tmp_path / "随机.xlsx"
    path.write_bytes(bytes(range(256)) * 8)
    assert "不是 Excel 工作簿" in refused(db, branch_id, path)


def test_word_document_renamed_to_xlsx(db: Database, branch_id: str, tmp_path: Path) -> None:
    path = tmp_path / "文档.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    assert "Word" in refused(db, branch_id, path)


def test_opendocument_spreadsheet_renamed_to_xlsx(db: Database, branch_id: str, tmp_path: Path) -> None:
    path = tmp_path / "表格.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<office:document-content/>")
    assert ".ods" in refused(db, branch_id, path)


def test_truncated_workbook(db: Database, branch_id: str, book: Book, tmp_path: Path) -> None:
    whole = book([ROSTER_HEADER, ["张三", person(11), "2005-07-01"]]).read_bytes()
    path = tmp_path / "截断.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    assert "损坏" in refused(db, branch_id, path)


def test_empty_file(db: Database, branch_id: str, tmp_path: Path) -> None:
    path = tmp_path / "空.xlsx"
    path.write_bytes(b"")
    assert "0 字节" in refused(db, branch_id, path)


def test_password_protected_workbook(db: Database, branch_id: str, book: Book, tmp_path: Path) -> None:
    plain = book([ROSTER_HEADER, ["张三", person(11), "2005-07-01"]])
    path = tmp_path / "加密.xlsx"
    out = io.BytesIO()
    with plain.open("rb") as fh:
        OOXMLFile(fh).encrypt("123456", out)
    path.write_bytes(out.getvalue())
    message = refused(db, branch_id, path)
    assert "密码" in message and "清除密码" in message


def test_empty_sheet(db: Database, branch_id: str, book: Book) -> None:
    assert "都是空的" in refused(db, branch_id, book([]))


def test_header_without_data(db: Database, branch_id: str, book: Book) -> None:
    assert "下面没有数据" in refused(db, branch_id, book([ROSTER_HEADER]))


def test_headerless_sheet(db: Database, branch_id: str, book: Book) -> None:
    path = book([["张三", person(11), "2005-07-01"], ["李四", person(13), "2006-07-01"]])
    message = refused(db, branch_id, path)
    assert "找不到表头" in message and "姓名" in message


def test_missing_required_column(db: Database, branch_id: str, book: Book) -> None:
    path = book([["姓名", "公民身份号码", "学历"], ["张三", person(11), "高中"]])
    assert "缺少必填列：入党日期" in refused(db, branch_id, path)


def test_same_column_twice(db: Database, branch_id: str, book: Book) -> None:
    path = book(
        [["姓名", "身份证号", "入党日期", "身份证号码"], ["张三", person(11), "2005-07-01", person(11)]]
    )
    assert "B 列和 D 列" in refused(db, branch_id, path)


@pytest.mark.slow
def test_hundred_thousand_rows_are_refused_with_advice(db: Database, branch_id: str, tmp_path: Path) -> None:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("花名册")
    ws.append(ROSTER_HEADER)
    for i in range(100_000):
        ws.append([f"党员{i}", person(i), "2005-07-01"])
    path = tmp_path / "十万行.xlsx"
    wb.save(path)
    message = refused(db, branch_id, path)
    assert "100,000" in message and "分批" in message


def test_formulas_in_data_cells_are_problems(db: Database, branch_id: str, book: Book) -> None:
    path = book(
        [
            ["序号", "姓名", "公民身份号码", "入党日期"],
            ["=ROW()-1", "张三", person(11), "2005-07-01"],  # a formula in a column we do not read is fine
            [2, "李四", person(13), "=DATE(2005,7,1)"],
            [3, '=CONCAT("王","五")', person(15), "2005-07-01"],
        ]
    )
    with db.reader() as s:
        p = plan_roster_import(s, branch_id, path, today=TODAY)
    assert [(pr.row, pr.column) for pr in p.problems] == [(3, "D"), (4, "B")]
    assert "选择性粘贴" in p.problems[0].message
    assert [r.action for r in p.rows] == ["create", "error", "error"]


def test_merged_cells_across_data_rows_are_problems(db: Database, branch_id: str, book: Book) -> None:
    path = book(
        [
            ["一村党支部花名册"],
            ["姓名", "公民身份号码", "入党日期", "党员类别"],
            ["张三", person(11), "2005-07-01", "正式党员"],
            ["李四", person(13), "2005-07-01"],
            ["王五", person(15), "2005-07-01", "正式党员"],
        ],
        merges=["A1:D1", "C3:C4"],  # the title merge is fine; the date merged over two people is not
    )
    with db.reader() as s:
        p = plan_roster_import(s, branch_id, path, today=TODAY)
    assert [(pr.row, pr.column, pr.value) for pr in p.problems] == [(3, "C", "C3:C4"), (4, "C", "C3:C4")]
    assert "取消合并" in p.problems[0].message
    assert [r.action for r in p.rows] == ["error", "error", "create"]


def test_header_only_sheet_then_data_sheet(db: Database, branch_id: str, tmp_path: Path) -> None:
    path = write_book(
        tmp_path / "两表.xlsx",
        [ROSTER_HEADER],
        sheet="空模板",
        extra_sheets={"党员": [ROSTER_HEADER, ["张三", person(11), "2005-07-01"]]},
    )
    with db.reader() as s:
        p = plan_roster_import(s, branch_id, path, today=TODAY)
    assert (p.sheet, len(p.rows)) == ("党员", 1)


def test_header_found_on_a_later_sheet(db: Database, branch_id: str, tmp_path: Path) -> None:
    path = write_book(
        tmp_path / "多表.xlsx",
        [["填表说明：请在第二张表填写"]],
        sheet="说明",
        extra_sheets={"党员": [ROSTER_HEADER, ["张三", person(11), "2005-07-01"]]},
    )
    with db.reader() as s:
        p = plan_roster_import(s, branch_id, path, today=TODAY)
    assert (p.sheet, p.problems, len(p.rows)) == ("党员", [], 1)


def test_hidden_lookup_sheet_is_not_taken_for_the_data(db: Database, branch_id: str, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    lists = wb.active
    assert lists is not None
    lists.title = "代码表"
    lists.append(["姓名", "公民身份号码", "入党日期"])  # a hidden sheet that happens to look like a header
    lists.sheet_state = "hidden"
    data = wb.create_sheet("花名册")
    data.append(ROSTER_HEADER)
    data.append(["张三", person(11), "2005-07-01"])
    path = tmp_path / "隐藏.xlsx"
    wb.save(path)
    with db.reader() as s:
        p = plan_roster_import(s, branch_id, path, today=TODAY)
    assert p.sheet == "花名册" and len(p.rows) == 1


def test_column_letters_in_read_messages_are_the_ones_excel_shows() -> None:
    """The read path names columns without importing openpyxl; its letters are openpyxl's for every
    column a worksheet can have (A … XFD)."""
    from openpyxl.utils import get_column_letter

    from services.excel.errors import column_letter

    assert [column_letter(i) for i in range(16384)] == [get_column_letter(i + 1) for i in range(16384)]
