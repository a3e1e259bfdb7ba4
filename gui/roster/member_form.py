"""The member form: new (Ctrl+N in the roster) and edit (double-click / Enter), inline errors."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from gui import ops
from gui.widgets.forms import DateField, FormSupport, may_close, submit
from models.enums import LABELS, Discipline, Education, Gender, MemberStatus, Occupation, label
from services import idcard, lookups, members, org
from services.db import Database
from services.errors import ErrorCollector, ValidationError
from services.lookups import Choice


@dataclass
class _Loaded:
    branch_name: str
    groups: list[Choice]
    data: members.MemberInput | None


class MemberForm(QDialog):
    """``saved`` carries the member id after a successful save."""

    saved = Signal(str)

    def __init__(
        self, parent: QWidget | None, db: Database, branch_id: str, member_id: str | None = None
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.branch_id = branch_id
        self.member_id = member_id
        self.support = FormSupport(self)
        self.setMinimumWidth(520)

        self.name = QLineEdit()
        self.name.setMaxLength(50)
        self.id_number = QLineEdit()
        self.id_number.setMaxLength(20)
        self.id_number.setPlaceholderText("18 位公民身份号码")
        self.derived = QLabel()
        self.derived.setObjectName("derived")
        self.derived.setStyleSheet("color: #555;")
        self.ethnicity = QLineEdit("汉族")
        self.education = QComboBox()
        self.education.addItem("（未填）", "")
        for edu in Education:
            self.education.addItem(LABELS["Education"][edu], str(edu))
        self.phone = QLineEdit()
        self.joined_on = DateField("joined_on", "入党日期")
        self.full_member_on = DateField("full_member_on", "转正日期", required=False)
        self.status = QComboBox()
        for st in MemberStatus:
            self.status.addItem(LABELS["MemberStatus"][st], str(st))
        self.status.setCurrentIndex(self.status.findData(str(MemberStatus.FULL)))
        self.discipline = QComboBox()
        for d in Discipline:
            self.discipline.addItem(LABELS["Discipline"][d], str(d))
        self.is_flowing = QCheckBox("是（外出务工、经商等，离开本地半年以上）")
        self.occupation = QComboBox()
        self.occupation.addItem("（未填）", "")
        for occ in Occupation:
            self.occupation.addItem(LABELS["Occupation"][occ], str(occ))
        self.is_migrant_worker = QCheckBox("是（户籍在农村、进城务工或在本地从事非农产业）")
        self.is_hardship = QCheckBox("是（生活困难，列入关怀帮扶）")
        self.party_group = QComboBox()
        self.branch_since = DateField("branch_since", "转入本支部日期", required=False)
        self.branch_since.setPlaceholderText("空 = 入党日期")

        form = QFormLayout()
        s = self.support
        s.row(form, "姓名", "name", self.name)
        id_box = QWidget()
        id_lay = QHBoxLayout(id_box)
        id_lay.setContentsMargins(0, 0, 0, 0)
        id_lay.addWidget(self.id_number, 1)
        id_lay.addWidget(self.derived)
        s.row(form, "身份证号", "id_number", id_box)
        s.register("id_number", self.id_number, s.labels["id_number"])
        s.row(form, "民族", "ethnicity", self.ethnicity)
        s.row(form, "学历", "education", self.education)
        s.row(form, "联系电话", "phone", self.phone)
        s.row(form, "入党日期", "joined_on", self.joined_on)
        s.row(form, "党员类别", "status", self.status)
        s.row(form, "转正日期", "full_member_on", self.full_member_on)
        s.row(form, "处分情况", "discipline", self.discipline)
        s.row(form, "流动党员", "is_flowing", self.is_flowing)
        s.row(form, "职业", "occupation", self.occupation)
        s.row(form, "农民工", "is_migrant_worker", self.is_migrant_worker)
        s.row(form, "困难党员", "is_hardship", self.is_hardship)
        s.row(form, "党小组", "party_group_id", self.party_group)
        s.row(form, "转入本支部", "branch_since", self.branch_since)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save_button.setText("保存 (Ctrl+S)")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)

        self.heading = QLabel()
        lay = QVBoxLayout(self)
        lay.addWidget(self.heading)
        lay.addLayout(form)
        lay.addWidget(s.general)
        lay.addWidget(self.buttons)

        order: list[QWidget] = [
            self.name,
            self.id_number,
            self.ethnicity,
            self.education,
            self.phone,
            self.joined_on,
            self.status,
            self.full_member_on,
            self.discipline,
            self.is_flowing,
            self.occupation,
            self.is_migrant_worker,
            self.is_hardship,
            self.party_group,
            self.branch_since,
            save_button,
        ]
        for a, b in itertools.pairwise(order):
            QWidget.setTabOrder(a, b)

        self.id_number.textChanged.connect(self._show_derived)
        self.status.currentIndexChanged.connect(self._status_changed)
        self._load()

    # --- loading --------------------------------------------------------------------------
    def _load(self) -> None:
        member_id = self.member_id

        def read(s: Session) -> _Loaded:
            branch = org.get_branch(s, self.branch_id)
            data = members.member_input(members.get_member(s, member_id)) if member_id else None
            return _Loaded(branch.name, lookups.party_groups(s, self.branch_id), data)

        loaded = ops.run_read(self, self.db, read)
        self.support.loading(True)
        self.party_group.addItem("（无）", None)
        if loaded is not None:
            for g in loaded.groups:
                self.party_group.addItem(g.name, g.id)
            verb = "修改党员" if member_id else "新建党员"
            self.setWindowTitle(f"{verb} — {loaded.branch_name}")
            self.heading.setText(f"<b>{loaded.branch_name}</b>")
            if loaded.data is not None:
                self._fill(loaded.data)
        self._status_changed()
        self.support.loading(False)
        self.support.set_clean()
        self.name.setFocus()

    def _fill(self, d: members.MemberInput) -> None:
        self.name.setText(d.name)
        self.id_number.setText(d.id_number)
        self.ethnicity.setText(d.ethnicity)
        self.education.setCurrentIndex(max(0, self.education.findData(d.education or "")))
        self.phone.setText(d.phone)
        self.joined_on.set_date(d.joined_on)
        self.full_member_on.set_date(d.full_member_on)
        self.status.setCurrentIndex(max(0, self.status.findData(str(d.status))))
        self.discipline.setCurrentIndex(max(0, self.discipline.findData(str(d.discipline))))
        self.is_flowing.setChecked(d.is_flowing)
        self.occupation.setCurrentIndex(max(0, self.occupation.findData(d.occupation or "")))
        self.is_migrant_worker.setChecked(d.is_migrant_worker)
        self.is_hardship.setChecked(d.is_hardship)
        self.party_group.setCurrentIndex(max(0, self.party_group.findData(d.party_group_id)))
        self.branch_since.set_date(d.branch_since if d.branch_since != d.joined_on else None)

    # --- live feedback --------------------------------------------------------------------
    def _show_derived(self, text: str) -> None:
        """Birth date and gender as the clerk types; the error as soon as 18 characters are in."""
        number = idcard.normalize(text)
        err = self.support.labels["id_number"]
        if len(number) < 18:
            self.derived.setText(f"{len(number)}/18 位" if number else "")
            if not err.isHidden():
                err.hide()
                self.id_number.setStyleSheet("")
            return
        try:
            info = idcard.parse(number)
        except ValidationError as exc:
            self.derived.setText("")
            err.setText(exc.message)
            err.show()
            return
        err.hide()
        self.id_number.setStyleSheet("")
        self.derived.setText(f"出生 {info.birth_date.isoformat()} · {label(Gender(info.gender))}")

    def _status_changed(self, *_args: object) -> None:
        probationary = self.status.currentData() == MemberStatus.PROBATIONARY
        if probationary:
            self.full_member_on.clear()
        self.full_member_on.setEnabled(not probationary)

    # --- saving ---------------------------------------------------------------------------
    def collect(self) -> members.MemberInput:
        """The typed values; raises ValidationError(s) for what cannot even be parsed."""
        found = ErrorCollector()
        data = self.gather(found)
        found.raise_if_any()
        return data

    def gather(self, found: ErrorCollector) -> members.MemberInput:
        """The typed values; a date that cannot be parsed is recorded in ``found`` and stands in as
        empty, so the rest can still be checked."""

        def date_of(field: DateField) -> date | None:
            with found.check():
                return field.value()
            return None

        return members.MemberInput(
            name=self.name.text(),
            id_number=self.id_number.text(),
            joined_on=date_of(self.joined_on) or date(1921, 7, 1),
            ethnicity=self.ethnicity.text(),
            education=str(self.education.currentData() or ""),
            phone=self.phone.text(),
            full_member_on=date_of(self.full_member_on),
            status=str(self.status.currentData()),
            discipline=str(self.discipline.currentData()),
            is_flowing=self.is_flowing.isChecked(),
            occupation=str(self.occupation.currentData() or ""),
            is_migrant_worker=self.is_migrant_worker.isChecked(),
            is_hardship=self.is_hardship.isChecked(),
            party_group_id=self.party_group.currentData(),
            branch_since=date_of(self.branch_since),
        )

    def save(self) -> bool:
        found = ErrorCollector()
        data = self.gather(found)
        member_id, branch_id = self.member_id, self.branch_id

        def write(s: Session) -> str:
            if member_id:
                return members.update_member(s, member_id, data).id
            return members.create_member(s, branch_id, data).id

        saved = submit(
            self,
            self.support,
            self.db,
            write,
            changes={"member"},
            found=found,  # with parse errors: the service's complaints about the other fields too
            check=lambda s: members.check_member_input(s, branch_id, data, member_id),
        )
        if saved is None:
            return False
        self.member_id = saved
        self.saved.emit(saved)
        self.accept()
        return True

    def reject(self) -> None:
        if may_close(self, self.support, "党员信息", self.save):
            super().reject()
