"""Table model of the member roster: ``services.members.roster_source`` read a batch at a time, sorted
and searched in SQL — names by their stored pinyin key (``member.name_key``), a search by name, ID
number, phone or pinyin initials (``zs`` finds 张三) as a ``WHERE``."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QCollator, QLocale, Qt

from gui.widgets.table_model import Column, RowTableModel
from models.enums import Education, Gender, MemberState, MemberStatus, Occupation, label
from services.members import RosterRow


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


COLUMNS: list[Column[RosterRow]] = [
    Column("姓名", lambda r: r.name, "name"),
    Column("性别", lambda r: label(Gender(r.gender)), "gender"),
    Column("出生日期", lambda r: _day(r.birth_date), "birth_date"),
    Column("身份证号", lambda r: r.id_number, "id_number"),
    Column("学历", lambda r: label(Education(r.education)) if r.education else "", "education"),
    Column("联系电话", lambda r: r.phone, "phone"),
    Column("入党日期", lambda r: _day(r.joined_on), "joined_on"),
    Column("类别", lambda r: label(MemberStatus(r.status)), "status"),
    Column("所在支部", lambda r: r.branch_name, "branch"),
    Column("党小组", lambda r: r.party_group, "party_group"),
    Column("流动党员", lambda r: "是" if r.is_flowing else "", "is_flowing"),
    Column("状态", lambda r: label(MemberState(r.state)), "state"),
    Column("职业", lambda r: label(Occupation(r.occupation)) if r.occupation else "", "occupation"),
    Column("农民工", lambda r: "是" if r.is_migrant_worker else "", "is_migrant_worker"),
    Column("困难党员", lambda r: "是" if r.is_hardship else "", "is_hardship"),
]
NAME_COLUMN = 0


def pinyin_collator() -> QCollator:
    """ICU's Chinese collation (pinyin) for lists a screen holds whole (the meeting's sign-in sheet)."""
    collator = QCollator(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    collator.setNumericMode(True)
    return collator


class RosterModel(RowTableModel[RosterRow]):
    """The roster on the listing base, by pinyin of the name until a header is clicked."""

    def __init__(self) -> None:
        super().__init__(COLUMNS, (NAME_COLUMN, Qt.SortOrder.AscendingOrder))

    def extra_data(self, row: RosterRow, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.ToolTipRole and row.status == "probationary":
            return "预备党员：参加会议，没有表决权"
        return None
