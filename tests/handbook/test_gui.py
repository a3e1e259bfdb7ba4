"""The 对标检查 screen driven like a clerk (pytest-qt, offscreen)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from gui.handbook import view as handbook_view
from gui.handbook.grid import COLOURS, NOT_JUDGED
from gui.handbook.view import HandbookView
from gui.meetings.form import MeetingForm
from services.handbook.findings import Finding, Prefill
from services.handbook.pack import chosen_pack_path, default_pack_path
from tests.handbook.conftest import ALT_PACK, Kit, Unit

AS_OF = date(2026, 8, 1)


@pytest.fixture(autouse=True)
def boxes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Message boxes are recorded, not shown (a modal box offscreen would hang the test)."""
    shown: list[str] = []

    def show(
        _parent: object, title: str, text: str, *args: object, **kwargs: object
    ) -> QMessageBox.StandardButton:
        shown.append(f"{title}｜{text}")
        return QMessageBox.StandardButton.Ok

    for kind in ("warning", "critical", "information", "question"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(show))
    yield shown


@pytest.fixture
def township(kit: Kit) -> tuple[Unit, Unit]:
    good = kit.branch("B01", full=3, committee=1, groups=2)
    kit.committee_elected_at_seven(good)  # a 支委会 needs a committee (支部工作条例 第八条)
    kit.meeting(good, "congress", date(2026, 7, 3), absent=2)  # 1 of 3 voting members: quorum fails
    kit.meeting(good, "committee", date(2026, 7, 4), attendees=good.members[:2])
    small = kit.branch("B02", full=2, committee=1)
    return good, small


def make_view(qtbot: QtBot, kit: Kit, qapp: QApplication) -> HandbookView:
    view = HandbookView(None, kit.db, today=AS_OF)
    qtbot.addWidget(view)
    view.set_branches(None)
    assert view.result is None  # not on screen yet: nothing evaluated
    view.show()
    assert view.result is not None and view.result.period.label == "2026"
    return view


def _cell(view: HandbookView, code: str, column: str) -> tuple[str, str]:
    grid = view.grid
    headers = [grid.horizontalHeaderItem(c).text() for c in range(grid.columnCount())]  # type: ignore[union-attr]
    for row in range(grid.rowCount()):
        if grid.item(row, 0).toolTip() == f"代码 {code}":  # type: ignore[union-attr]
            item = grid.item(row, headers.index(column))
            assert item is not None
            return item.text(), item.background().color().name()
    raise AssertionError(code)


def _finding(view: HandbookView, rule_id: str) -> Finding:
    return next(f for f in view.branch_view.findings_shown() if f.rule_id == rule_id)


def test_overview_grid_colours_months_by_worst_finding(
    qtbot: QtBot, qapp: QApplication, kit: Kit, township: tuple[Unit, Unit]
) -> None:
    view = make_view(qtbot, kit, qapp)
    assert view.grid.rowCount() == 2
    assert _cell(view, "B01", "7月") == ("错误", COLOURS[3])  # the failed quorum in July
    assert _cell(view, "B01", "5月") == ("警告", COLOURS[2])  # no 主题党日 in May
    assert _cell(view, "B01", "6月")[0] == "错误"  # no 党员大会 in the second quarter: shown in June
    assert _cell(view, "B01", "8月") == ("", NOT_JUDGED)  # August is not over on 1 August
    assert _cell(view, "B02", "全年") == ("错误", COLOURS[3])  # two full members: not a branch
    assert _cell(view, "B01", "星级")[0].startswith("★")
    may = view.grid.item(0, 1 + 5)  # columns: 支部, 星级, 1月 …
    assert may is not None and "2026年5月未开展主题党日活动" in may.toolTip()


def test_branch_view_lists_findings_by_standard_with_the_card(
    qtbot: QtBot, qapp: QApplication, kit: Kit, township: tuple[Unit, Unit]
) -> None:
    good, _ = township
    view = make_view(qtbot, kit, qapp)
    row = next(r for r in range(view.grid.rowCount()) if view.grid.branch_at(r) == good.branch.id)
    view.grid.cellDoubleClicked.emit(row, 0)
    assert view.inner.currentWidget() is view.branch_view
    tree = view.branch_view.tree
    tops = [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]  # type: ignore[union-attr]
    assert tops[0] == "组织设置 ✓" and tops[2].startswith("组织生活（")
    assert view.branch_view.select_finding(_finding(view, "LIFE-05").key)
    card = view.branch_view.card.toPlainText()
    assert "每月相对固定 1 天开展主题党日活动" in card and "党员教育管理工作条例》第十六条" in card
    assert view.branch_view.explain_button.isEnabled()
    view.branch_view.select_finding(_finding(view, "LIFE-08").key)
    assert not view.branch_view.explain_button.isEnabled()  # errors are rectified, not explained


def test_missing_meeting_opens_a_prefilled_form(
    qtbot: QtBot, qapp: QApplication, kit: Kit, township: tuple[Unit, Unit]
) -> None:
    good, _ = township
    view = make_view(qtbot, kit, qapp)
    view.show_branch(good.branch.id)
    group = next(
        f for f in view.branch_view.findings_shown() if f.rule_id == "LIFE-03" and f.period == "2026-07"
    )
    with qtbot.waitSignal(view.prefillRequested) as sent:
        view.branch_view.select_finding(group.key)
        item = view.branch_view.tree.currentItem()
        view.branch_view.tree.itemDoubleClicked.emit(item, 0)
    prefill = sent.args[0]
    assert isinstance(prefill, Prefill) and prefill.meeting_type == "group"
    form = view.form
    assert isinstance(form, MeetingForm)
    assert form.type.currentData() == "group"
    assert form.held_on.value() == date(2026, 7, 31)
    assert form.party_group.currentData() == prefill.party_group_id
    # Expected attendees: the members of that party group.
    assert 0 < len(form.attendance.rows) < len(good.members)
    form.reject()


def test_finding_with_a_record_opens_that_record(
    qtbot: QtBot, qapp: QApplication, kit: Kit, township: tuple[Unit, Unit]
) -> None:
    good, _ = township
    view = make_view(qtbot, kit, qapp)
    view.show_branch(good.branch.id)
    quorum = _finding(view, "LIFE-08")
    with qtbot.waitSignal(view.formOpened):
        view.open_finding(quorum)
    assert isinstance(view.form, MeetingForm) and view.form.meeting_id == quorum.record_ids[0]
    assert view.form.type.currentData() == "congress"
    view.form.reject()


def test_explanation_marks_the_warning_explained_and_keeps_it_listed(
    qtbot: QtBot, qapp: QApplication, kit: Kit, township: tuple[Unit, Unit], boxes: list[str]
) -> None:
    good, _ = township
    view = make_view(qtbot, kit, qapp)
    view.show_branch(good.branch.id)
    before = len(view.branch_view.findings_shown())
    june = next(
        f for f in view.branch_view.findings_shown() if f.rule_id == "LIFE-05" and f.period == "2026-06"
    )
    assert view.explain(june, "六月麦收，主题党日并入七月") is True
    after = view.branch_view.findings_shown()
    assert len(after) == before
    again = next(f for f in after if f.key == june.key)
    assert again.explained and again.explanation == "六月麦收，主题党日并入七月"
    assert "说明：六月麦收" in view.branch_view.card.toPlainText()
    assert view.branch_view.withdraw_button.isEnabled()
    # An error cannot be explained.
    assert view.explain(_finding(view, "LIFE-08"), "x") is False
    assert any("只有“警告”级别" in b for b in boxes)


def test_catalog_tree_shows_which_evidence_is_present(
    qtbot: QtBot, qapp: QApplication, kit: Kit, township: tuple[Unit, Unit]
) -> None:
    good, _ = township
    view = make_view(qtbot, kit, qapp)
    view.show_branch(good.branch.id)
    cat = view.catalog
    life = next(
        cat.topLevelItem(i)
        for i in range(cat.topLevelItemCount())
        if cat.topLevelItem(i).text(0) == "组织生活"
    )  # type: ignore[union-attr]
    assert life is not None and life.text(1) == "组织生活台账"
    three = life.child(0)
    assert three is not None and three.text(0) == "落实“三会一课”"
    leaves = {three.child(i).text(0): three.child(i).text(1) for i in range(three.childCount())}  # type: ignore[union-attr]
    assert leaves["支委会记录"] == "✓ 1 条" and leaves["党课记录"] == "✗ 缺"


def test_bad_pack_is_refused_and_the_last_good_pack_stays(
    qtbot: QtBot, qapp: QApplication, kit: Kit, township: tuple[Unit, Unit], boxes: list[str], tmp_path: Path
) -> None:
    view = make_view(qtbot, kit, qapp)
    label = view.pack_label.text()
    bad = tmp_path / "county.toml"
    bad.write_text(
        default_pack_path().read_text(encoding="utf-8").replace("min = 3", 'min = "三"', 1), "utf-8"
    )
    assert view.load_pack(bad) is False
    assert "county.toml" in boxes[-1] and "应为整数" in boxes[-1] and "继续使用" in boxes[-1]
    assert view.pack_label.text() == label
    assert view.result is not None and view.result.pack_id == "default"
    assert chosen_pack_path() is None  # the refused file was not remembered
    assert view.load_pack(ALT_PACK) is True
    assert "测试用" in view.pack_label.text()
    assert chosen_pack_path() == ALT_PACK.resolve()  # used again at the next start
    assert view.result is not None and view.result.pack_id == "alt-county"
    assert {f.rule_id for f in view.result.findings} <= {"A-SIZE", "A-COMMITTEE", "A-LECTURE", "A-QUORUM"}


def test_period_selector_checks_a_month(
    qtbot: QtBot, qapp: QApplication, kit: Kit, township: tuple[Unit, Unit]
) -> None:
    view = make_view(qtbot, kit, qapp)
    view.scope.setCurrentIndex(view.scope.findData("M7"))
    qtbot.mouseClick(view.check_button, Qt.MouseButton.LeftButton)
    assert view.result is not None and view.result.period.label == "2026-07"
    assert all(f.period in ("2026-07",) for f in view.result.findings)


def test_main_window_has_the_check_tab_and_pack_menu(
    qtbot: QtBot, qapp: QApplication, kit: Kit, township: tuple[Unit, Unit]
) -> None:
    from gui.main_window import MainWindow

    window = MainWindow(kit.db, screens=[handbook_view.install])
    qtbot.addWidget(window)
    assert window.extension_errors == []
    assert window.select_tab("对标检查")
    view = window.findChild(HandbookView, "handbookView")
    assert view is not None
    window.show()
    assert view.result is not None and len(view.result.branches) == 2
    texts = [a.text() for a in window.menus["工具"].actions()]
    assert "载入手册包…" in texts
    assert window.select_branch_code("B02")
    assert view.result.branches[0].code == "B02" and len(view.result.branches) == 1
    assert view.branch_view.heading.text().startswith("<b>B02党支部</b>")


def test_a_saved_meeting_refreshes_the_check(
    qtbot: QtBot, qapp: QApplication, kit: Kit, township: tuple[Unit, Unit], boxes: list[str]
) -> None:
    from gui import ops
    from services import meetings

    good, _ = township
    view = make_view(qtbot, kit, qapp)
    assert _cell(view, "B01", "5月")[0] == "警告"
    data = meetings.MeetingInput(
        type="theme_day", held_on=date(2026, 5, 12), topics="主题党日", recorded_on=date(2026, 5, 13)
    )
    before = view.result
    saved = ops.run_write(
        view,
        kit.db,
        lambda s: meetings.create_meeting(s, good.branch.id, data, today=AS_OF).id,
        changes={"meeting"},
    )
    assert saved is not None, boxes
    assert view.result is not before
    assert _cell(view, "B01", "5月")[0] == "警告"  # the party groups still did not meet in May
    assert view.result is not None
    mine = view.result.for_branch(good.branch.id)
    assert [f for f in mine if f.rule_id == "LIFE-05" and f.period == "2026-05"] == []
