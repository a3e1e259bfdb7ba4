"""The meeting form: details, attendance checklist with a live quorum line, photo attachments."""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QIcon, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from gui import ops
from gui.meetings.attendance import UNSET, AttendanceModel, AttendanceTable, AttendeeRow
from gui.roster.model import pinyin_collator
from gui.widgets import files
from gui.widgets.forms import DateField, FormSupport, TimeField, may_close, submit
from models import Member
from models.enums import LABELS, AttendanceStatus, MeetingType, MemberStatus, label
from services import attachments, lookups, meetings, org
from services.db import Database
from services.errors import ErrorCollector, ValidationError
from services.lookups import Choice
from services.meetings import AttendanceInput

IMAGE_FILTER = "图片 (*.jpg *.jpeg *.png *.gif *.bmp *.webp)"


def attendee(member: Member, day: date) -> AttendeeRow:
    """A checklist row; voting rights as they were on the meeting's day."""
    kind = label(MemberStatus(member.status))
    if member.status == "full" and not member.can_vote_on(day) and member.discipline != "probation":
        kind = "预备党员"  # converted after this meeting
    if member.discipline == "probation":
        kind += "（留党察看）"
    return AttendeeRow(member.id, member.name, kind, member.can_vote_on(day))


def parse_guests(text: str) -> list[meetings.GuestInput]:
    """One 列席 person per non-blank line: name, then unit or title after the first ，/,/：/:/tab/space."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        cut = min((i for i in (line.find(c) for c in "，,：:\t ") if i >= 0), default=-1)
        name, unit = (line[:cut], line[cut + 1 :]) if cut >= 0 else (line, "")
        out.append(meetings.GuestInput(name.strip(), unit.strip(" ，,：:\t")))
    return out


@dataclass
class _Loaded:
    branch_name: str
    groups: list[Choice]
    data: meetings.MeetingInput | None = None
    rows: list[AttendeeRow] = field(default_factory=list)
    files: list[tuple[str, str, str]] = field(default_factory=list)  # id, filename, stored path


class MeetingForm(QDialog):
    """``saved`` carries the meeting id after a successful save."""

    saved = Signal(str)

    def __init__(
        self,
        parent: QWidget | None,
        db: Database,
        branch_id: str,
        meeting_id: str | None = None,
        *,
        today: date | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.branch_id = branch_id
        self.meeting_id = meeting_id
        self.today = today
        self.support = FormSupport(self)
        self.pending_files: list[Path] = []
        self._refill_key: tuple[str, date, object] | None = None
        self.removed_files: set[str] = set()
        self.resize(1100, 720)

        # --- details ----------------------------------------------------------------------
        self.type = QComboBox()
        for t in MeetingType:
            self.type.addItem(LABELS["MeetingType"][t], str(t))
        self.held_on = DateField("held_on", "会议日期")
        # Other kinds the same activity also was (组织生活会暨民主评议党员, 主题党日 with a 党课).
        self.also_box = QWidget()
        also_grid = QGridLayout(self.also_box)  # four to a row: one row would not fit 1024 px
        also_grid.setContentsMargins(0, 0, 0, 0)
        self.also: dict[str, QCheckBox] = {}
        for t in MeetingType:
            if t == MeetingType.OTHER:
                continue
            box = QCheckBox(LABELS["MeetingType"][t])
            n = len(self.also)
            self.also[str(t)] = box
            also_grid.addWidget(box, n // 4, n % 4)
        also_grid.setColumnStretch(4, 1)
        self.recorded_on = DateField("recorded_on", "记录日期", required=False)
        self.recorded_on.setToolTip("会议记录的整理日期；从纸质记录补录时填纸质记录上的日期。不填则为今天。")
        self.backfilled = QCheckBox("从纸质记录补录")
        self.start_time = TimeField("start_time", "开始时间")
        self.end_time = TimeField("end_time", "结束时间")
        self.place = QLineEdit()
        self.host = QLineEdit()
        self.recorder = QLineEdit()
        self.lecturer = QLineEdit()
        self.party_group = QComboBox()
        self.topics = QPlainTextEdit()  # several 议题, one per line, as on the paper record
        self.topics.setPlaceholderText("每行一个议题，例如：\n学习贯彻……精神\n讨论……")
        self.topics.setTabChangesFocus(True)
        self.topics.setFixedHeight(self.topics.fontMetrics().lineSpacing() * 3 + 14)
        self.minutes = QPlainTextEdit()
        self.resolutions = QPlainTextEdit()
        self.guests = QPlainTextEdit()
        self.guests.setObjectName("guestsEdit")
        self.guests.setPlaceholderText(
            "非本支部党员列席：每行一人，姓名，单位或职务（如：戚九，驻村第一书记）"
        )
        self.guests.setMaximumHeight(70)
        for edit in (self.minutes, self.resolutions, self.guests):
            edit.setTabChangesFocus(True)
        self.minutes.setPlaceholderText("会议记录（发言要点等）")
        self.resolutions.setPlaceholderText("形成的决议、决定")

        form = QFormLayout()
        s = self.support
        s.row(form, "会议类型", "type", self.type)
        s.row(form, "会议日期", "held_on", self.held_on)
        s.row(form, "同时作为", "also_types", self.also_box)
        times = QWidget()
        tl = QHBoxLayout(times)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.start_time)
        tl.addWidget(QLabel("至"))
        tl.addWidget(self.end_time)
        s.row(form, "时间", "end_time", times)
        s.register("start_time", self.start_time, s.labels["end_time"])
        s.register("end_time", self.end_time, s.labels["end_time"])
        s.row(form, "地点", "place", self.place)
        s.row(form, "主持人", "host", self.host)
        s.row(form, "记录人", "recorder", self.recorder)
        s.row(form, "授课人（党课）", "lecturer", self.lecturer)
        s.row(form, "党小组", "party_group_id", self.party_group)
        s.row(form, "议题", "topics", self.topics)
        s.row(form, "会议记录", "minutes", self.minutes)
        s.row(form, "决议", "resolutions", self.resolutions)
        s.row(form, "列席人员", "guests", self.guests)
        record_row = QWidget()
        record_layout = QHBoxLayout(record_row)
        record_layout.setContentsMargins(0, 0, 0, 0)
        record_layout.addWidget(self.recorded_on)
        record_layout.addWidget(self.backfilled)
        s.row(form, "记录日期", "recorded_on", record_row)
        s.register("recorded_on", self.recorded_on, s.labels["recorded_on"])
        details = QWidget()
        details.setLayout(form)

        # --- attendance -------------------------------------------------------------------
        self.attendance = AttendanceModel()
        self.table = AttendanceTable(self.attendance)
        self.table.setObjectName("attendanceTable")
        self.quorum_label = QLabel()
        self.quorum_label.setObjectName("quorumLabel")
        self.quorum_label.setWordWrap(True)
        self.attendance_error = QLabel()
        self.attendance_error.setStyleSheet("color: #b3261e;")
        self.attendance_error.setWordWrap(True)
        self.attendance_error.hide()
        s.register("attendance", self.table, self.attendance_error)
        self.all_present = QPushButton("全部出席")
        self.reload_people = QPushButton("按应到人员重新生成")
        hint = QLabel("选中后按 1 出席 · 2 请假 · 3 缺席 · 4 列席")
        hint.setStyleSheet("color: #555;")
        buttons_row = QHBoxLayout()
        buttons_row.addWidget(hint, 1)
        buttons_row.addWidget(self.all_present)
        buttons_row.addWidget(self.reload_people)

        self.files = QListWidget()
        self.files.setObjectName("attachmentList")
        self.files.setViewMode(QListWidget.ViewMode.IconMode)
        self.files.setIconSize(QSize(96, 72))
        self.files.setMaximumHeight(130)
        self.files.setToolTip("双击打开原图")
        self.files.itemActivated.connect(self._open_file)
        self.files_error = QLabel()
        self.files_error.setStyleSheet("color: #b3261e;")
        self.files_error.setWordWrap(True)
        self.files_error.hide()
        s.register("path", self.files, self.files_error)
        self.add_file = QPushButton("添加照片…")
        self.remove_file = QPushButton("移除照片")
        file_row = QHBoxLayout()
        file_row.addWidget(QLabel("照片与签到表"), 1)
        file_row.addWidget(self.add_file)
        file_row.addWidget(self.remove_file)

        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(QLabel("<b>出席情况</b>"))
        rl.addWidget(self.table, 1)
        rl.addLayout(buttons_row)
        rl.addWidget(self.quorum_label)
        rl.addWidget(self.attendance_error)
        rl.addLayout(file_row)
        rl.addWidget(self.files)
        rl.addWidget(self.files_error)

        # The fields scroll on a short screen (1024×700) instead of pushing 保存 off it.
        details_scroll = QScrollArea()
        details_scroll.setWidget(details)
        details_scroll.setWidgetResizable(True)
        details_scroll.setFrameShape(QFrame.Shape.NoFrame)
        details_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        splitter = QSplitter()
        splitter.addWidget(details_scroll)
        splitter.addWidget(right)
        splitter.setSizes([520, 560])

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("保存 (Ctrl+S)")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)

        self.heading = QLabel()
        lay = QVBoxLayout(self)
        lay.addWidget(self.heading)
        lay.addWidget(splitter, 1)
        lay.addWidget(s.general)
        lay.addWidget(self.buttons)

        order: list[QWidget] = [
            self.type,
            self.held_on,
            self.start_time,
            self.end_time,
            self.place,
            self.host,
            self.recorder,
            self.lecturer,
            self.party_group,
            self.topics,
            self.minutes,
            self.resolutions,
            self.guests,
            *self.also.values(),
            self.recorded_on,
            self.backfilled,
            self.table,
            self.all_present,
            self.reload_people,
            self.add_file,
            self.remove_file,
            self.save_button,
        ]
        for a, b in itertools.pairwise(order):
            QWidget.setTabOrder(a, b)

        self.type.currentIndexChanged.connect(self._type_changed)
        for box in (*self.also.values(), self.backfilled):
            box.toggled.connect(self._kinds_changed)
        self.held_on.editingFinished.connect(self._refill_attendance)
        self.party_group.currentIndexChanged.connect(self._refill_attendance)
        self.attendance.dataChanged.connect(self._attendance_edited)
        self.attendance.modelReset.connect(self._update_quorum)
        self.all_present.clicked.connect(self.attendance.mark_all_present)
        self.reload_people.clicked.connect(lambda: self._refill_attendance(keep=False))
        self.add_file.clicked.connect(self.choose_files)
        self.remove_file.clicked.connect(self.remove_selected_file)
        self._loading = True
        self._load()
        self._loading = False

    # --- loading --------------------------------------------------------------------------
    def _load(self) -> None:
        meeting_id, branch_id = self.meeting_id, self.branch_id

        def read(s: Session) -> _Loaded:
            branch = org.get_branch(s, branch_id)
            loaded = _Loaded(branch.name, lookups.party_groups(s, branch_id))
            if meeting_id:
                m = meetings.get_meeting(s, meeting_id)
                live = [a for a in m.attendance if not a.deleted]
                people = lookups.members_by_id(s, [a.member_id for a in live])
                loaded.data = meetings.MeetingInput(
                    type=m.type,
                    held_on=m.held_on,
                    topics=m.topics,
                    place=m.place,
                    host=m.host,
                    recorder=m.recorder,
                    minutes=m.minutes,
                    resolutions=m.resolutions,
                    lecturer=m.lecturer,
                    party_group_id=m.party_group_id,
                    start_time=m.start_time,
                    end_time=m.end_time,
                    guests=[meetings.GuestInput(g.name, g.unit) for g in meetings.guests(s, m.id)],
                    recorded_on=m.recorded_on,
                    also_types=[k for k in m.also_types.split(",") if k],
                    backfilled=m.backfilled,
                )
                for a in live:
                    row = attendee(people[a.member_id], m.held_on)
                    row.status, row.reason = a.status, a.reason
                    loaded.rows.append(row)
                loaded.files = [
                    (f.id, f.filename, str(attachments.blob_path(s, f.sha256, f.filename)))
                    for f in attachments.list_attachments(s, "meeting", meeting_id)
                ]
            return loaded

        loaded = ops.run_read(self, self.db, read)
        s = self.support
        s.loading(True)
        self.party_group.addItem("（请选择）", None)
        if loaded is None:
            s.loading(False)
            return
        for g in loaded.groups:
            self.party_group.addItem(g.name, g.id)
        verb = "修改会议记录" if meeting_id else "记录会议"
        self.setWindowTitle(f"{verb} — {loaded.branch_name}")
        self.heading.setText(f"<b>{loaded.branch_name}</b>")
        if loaded.data is not None:
            d = loaded.data
            self.type.setCurrentIndex(max(0, self.type.findData(d.type)))
            self.held_on.set_date(d.held_on)
            self.start_time.set_time(d.start_time)
            self.end_time.set_time(d.end_time)
            self.place.setText(d.place)
            self.host.setText(d.host)
            self.recorder.setText(d.recorder)
            self.lecturer.setText(d.lecturer)
            self.party_group.setCurrentIndex(max(0, self.party_group.findData(d.party_group_id)))
            self.topics.setPlainText(d.topics)
            self.minutes.setPlainText(d.minutes)
            self.resolutions.setPlainText(d.resolutions)
            self.guests.setPlainText(
                "\n".join(f"{g.name}，{g.unit}" if g.unit else g.name for g in d.guests or [])
            )
            for code, box in self.also.items():
                box.setChecked(code in d.also_types)
            self.recorded_on.set_date(d.recorded_on)
            self.backfilled.setChecked(d.backfilled)
            self.attendance.set_rows(loaded.rows, keep_marks=False)
            # The stored sign-in list stands until type, date or group really change.
            self._refill_key = (str(d.type), d.held_on, self.party_group.currentData())
            for file_id, name, path in loaded.files:
                self._add_file_item(name, path, file_id)
        else:
            self.held_on.set_date(self.today or date.today())
            self._refill_attendance()
        self._type_changed()
        s.loading(False)
        s.set_clean()
        self.type.setFocus()

    # --- live behaviour -------------------------------------------------------------------
    def _type_changed(self, *_args: object) -> None:
        kind = self.type.currentData()
        for code, box in self.also.items():
            box.setEnabled(code != kind)
            if code == kind:
                box.setChecked(False)
        self._kinds_changed()
        if not self._loading:
            self._refill_attendance()

    def _refill_attendance(self, *_args: object, keep: bool = True) -> None:
        """Expected attendees for the chosen type/date/group; marks already made are kept."""
        try:
            day = self.held_on.value()
        except ValidationError:
            return
        if day is None:
            return
        kind, group = str(self.type.currentData()), self.party_group.currentData()
        key = (kind, day, group)
        if keep and key == self._refill_key:
            return  # nothing that decides who is expected changed (e.g. the clerk only tabbed past)
        self._refill_key = key
        branch_id = self.branch_id
        rows = ops.run_read(
            self,
            self.db,
            lambda s: [attendee(m, day) for m in meetings.expected_attendees(s, branch_id, kind, day, group)],
        )
        if rows is not None:
            collator = pinyin_collator()  # the sign-in sheet order clerks expect: by pinyin
            rows.sort(key=functools.cmp_to_key(lambda a, b: collator.compare(a.name, b.name)))
            before = [(r.member_id, r.status) for r in self.attendance.rows]
            self.attendance.set_rows(rows, keep_marks=keep)
            after = [(r.member_id, r.status) for r in self.attendance.rows]
            if not self._loading and after != before:
                self.support.mark_dirty()

    def _attendance_edited(self, *_args: object) -> None:
        self.support.mark_dirty()
        self._update_quorum()

    def _update_quorum(self, *_args: object) -> None:
        if not self.attendance.rows:
            self.quorum_label.setText(
                "应到人员为空：请核对会议类型、日期（支委会需有在任支委，党小组会需选择党小组）。"
            )
            self.quorum_label.setStyleSheet("color: #8a5a00;")
            return
        q = self.attendance.quorum()
        self.quorum_label.setText(q.describe())
        self.quorum_label.setStyleSheet("color: #1b6e20;" if q.met else "color: #b3261e;")

    # --- attachments ----------------------------------------------------------------------
    def _add_file_item(self, name: str, path: str, file_id: str | None) -> None:
        item = QListWidgetItem(name)
        pixmap = QPixmap(path)
        if not pixmap.isNull():
            item.setIcon(QIcon(pixmap.scaled(96, 72, Qt.AspectRatioMode.KeepAspectRatio)))
        item.setToolTip(path)
        item.setData(Qt.ItemDataRole.UserRole, file_id)
        item.setData(Qt.ItemDataRole.UserRole + 1, path)
        self.files.addItem(item)

    def _open_file(self, item: QListWidgetItem) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(item.data(Qt.ItemDataRole.UserRole + 1))))

    def add_files(self, paths: list[str | Path]) -> None:
        for p in paths:
            path = Path(p)
            self.pending_files.append(path)
            self._add_file_item(path.name, str(path), None)
        if paths:
            self.support.mark_dirty()

    def choose_files(self) -> None:
        self.add_files(list(files.open_files(self, "选择会议照片或签到表", IMAGE_FILTER, kind="photo")))

    def remove_selected_file(self) -> None:
        for item in self.files.selectedItems():
            file_id = item.data(Qt.ItemDataRole.UserRole)
            if file_id:
                self.removed_files.add(str(file_id))
            else:
                path = Path(str(item.data(Qt.ItemDataRole.UserRole + 1)))
                if path in self.pending_files:
                    self.pending_files.remove(path)
            self.files.takeItem(self.files.row(item))
            self.support.mark_dirty()

    def _kinds_changed(self, *_args: object) -> None:
        kinds = {self.type.currentData(), *self._also_types()}
        self.lecturer.setEnabled(MeetingType.LECTURE in kinds)
        self.party_group.setEnabled(MeetingType.GROUP in kinds)
        if not self._loading:
            self.support.mark_dirty()

    def _also_types(self) -> list[str]:
        return [code for code, box in self.also.items() if box.isChecked() and box.isEnabled()]

    # --- saving ---------------------------------------------------------------------------
    def collect(self) -> meetings.MeetingInput:
        """The typed values; raises ValidationError(s) for what cannot be parsed or is unmarked."""
        found = ErrorCollector()
        data = self.gather(found)
        found.raise_if_any()
        return data

    def gather(self, found: ErrorCollector) -> meetings.MeetingInput:
        """The typed values; what cannot be parsed is recorded in ``found`` and stands in as a
        harmless value (today, no time), so the service can still check the other fields."""
        held_on: date | None = None
        with found.check():
            held_on = self.held_on.value()
        start = end = None
        with found.check():
            start = self.start_time.value()
        with found.check():
            end = self.end_time.value()
        recorded_on: date | None = None
        with found.check():
            recorded_on = self.recorded_on.value()
        unmarked = self.attendance.unmarked()
        if unmarked:
            names = "、".join(unmarked[:5]) + ("等" if len(unmarked) > 5 else "")
            found.add(
                "attendance",
                f"还有 {len(unmarked)} 人未登记出席情况（{names}）：选中后按 1 出席、2 请假、3 缺席、4 列席，"
                "或点“全部出席”。",
            )
        return meetings.MeetingInput(
            type=str(self.type.currentData()),
            held_on=held_on or self.today or date.today(),
            topics=self.topics.toPlainText(),
            place=self.place.text(),
            host=self.host.text(),
            recorder=self.recorder.text(),
            minutes=self.minutes.toPlainText(),
            resolutions=self.resolutions.toPlainText(),
            lecturer=self.lecturer.text() if self.lecturer.isEnabled() else "",
            party_group_id=self.party_group.currentData() if self.party_group.isEnabled() else None,
            start_time=start,
            end_time=end,
            # An unmarked row (already an error above) stands in as 缺席 so row numbers stay right.
            attendance=[
                e if e.status != UNSET else AttendanceInput(e.member_id, AttendanceStatus.ABSENT, e.reason)
                for e in self.attendance.entries()
            ],
            guests=parse_guests(self.guests.toPlainText()),
            also_types=self._also_types(),
            recorded_on=recorded_on,
            backfilled=self.backfilled.isChecked(),
        )

    def save(self) -> bool:
        self.support.clear()
        found = ErrorCollector()
        data = self.gather(found)
        meeting_id, branch_id, today = self.meeting_id, self.branch_id, self.today
        if not found.errors:  # with parse errors, submit() shows them first; confirm only a clean form
            warnings = ops.run_read(
                self, self.db, lambda s: meetings.entry_warnings(s, branch_id, data, meeting_id)
            )
            if warnings:  # nobody present / the same meeting already on record: paper may say so — ask
                text = "\n\n".join(w.message for w in warnings) + "\n\n仍要保存这次会议吗？"
                answer = QMessageBox.question(self, "请确认", text)
                if answer != QMessageBox.StandardButton.Yes:
                    self.support.show_all([ValidationError(w.field, w.message) for w in warnings])
                    return False
        new_files, gone = list(self.pending_files), set(self.removed_files)

        def write(s: Session) -> str:
            if meeting_id:
                m = meetings.update_meeting(s, meeting_id, data, today)
            else:
                m = meetings.create_meeting(s, branch_id, data, today)
            for file_id in gone:
                attachments.remove_attachment(s, file_id)
            for path in new_files:
                attachments.store_file(s, "meeting", m.id, path, "photo")
            return m.id

        saved = submit(
            self,
            self.support,
            self.db,
            write,
            changes={"meeting"},
            found=found,  # with parse errors: the service's word on the other fields too, all at once
            check=lambda s: meetings.check_meeting_input(s, branch_id, data, today),
            keep=frozenset({"attendance"}),
        )
        if saved is None:
            return False
        self.meeting_id = saved
        self.pending_files.clear()
        self.removed_files.clear()
        self.saved.emit(saved)
        self.accept()
        return True

    def reject(self) -> None:
        if may_close(self, self.support, "会议记录", self.save):
            super().reject()
