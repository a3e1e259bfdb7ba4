"""A branch with a year of meetings (long minutes, leave and absence, a photo) to print."""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from services import attachments, groups, meetings, org
from services.db import Database
from tests.conftest import TODAY, Builder
from tests.gui.conftest import app, boxes  # noqa: F401 - GUI fixtures for test_gui_print.py

YEAR = 2026
# A paragraph of minutes; repeated it runs over several pages.
MINUTES_LINE = (
    "会议传达学习了上级党委关于加强基层党组织标准化规范化建设的通知精神，"
    "支部书记逐条讲解了“三会一课”、主题党日和组织生活会的具体要求，"
    "与会党员结合本村产业发展和人居环境整治工作谈了认识和打算。"
)
END_MARK = "（本次会议记录到此结束）"


@dataclass
class PrintFixture:
    branch_id: str
    branch_code: str
    long_meeting_id: str
    short_meeting_id: str
    member_names: list[str]
    leave_name: str
    leave_reason: str
    absent_name: str
    topics: str


def make_photo(path: Path, color: tuple[int, int, int] = (200, 40, 40)) -> Path:
    img = Image.new("RGB", (1600, 1200), color)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    path.write_bytes(buf.getvalue())
    return path


def populate(
    db: Database, build: Builder, tmp: Path, *, members: int = 12, extra_meetings: int = 3
) -> PrintFixture:
    build.township("T01", "城关镇")
    branch = build.branch("B01", "红旗村党支部", members=0)
    names = [
        "张建国",
        "李秀英",
        "王志强",
        "赵丽娟",
        "刘德华",
        "陈淑芬",
        "杨光明",
        "黄桂兰",
        "周永红",
        "吴海燕",
    ]
    names += [f"孙{n}" for n in "一二三四五六七八九十甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥"]
    people = [
        build.member(branch.id, names[i % len(names)] + ("" if i < len(names) else str(i)))
        for i in range(members)
    ]
    with db.transaction("test") as s:
        group = groups.create_group(s, branch.id, "第一党小组", leader_id=people[5].id)
        groups.assign_members(s, group.id, [m.id for m in people[: members // 2]])
        org.add_committee_seat(s, branch.id, people[0].id, "secretary", date(2024, 1, 1))
        org.add_committee_seat(s, branch.id, people[1].id, "organization", date(2024, 1, 1))
        org.add_committee_seat(s, branch.id, people[2].id, "propaganda", date(2024, 1, 1))
    topics = "学习贯彻党的二十届三中全会精神；研究发展党员工作"
    minutes = "\n".join(f"{i}. {MINUTES_LINE}" for i in range(1, 61)) + "\n" + END_MARK
    leave, absent = people[3], people[4]
    with db.transaction("test") as s:
        attendance = [meetings.AttendanceInput(m.id) for m in people]
        attendance[3] = meetings.AttendanceInput(leave.id, "leave", "外出务工")
        attendance[4] = meetings.AttendanceInput(absent.id, "absent", "未说明原因")
        long_meeting = meetings.create_meeting(
            s,
            branch.id,
            meetings.MeetingInput(
                type="congress",
                held_on=date(YEAR, 3, 15),
                start_time=time(9, 0),
                end_time=time(11, 30),
                topics=topics,
                place="村党群服务中心会议室",
                host=people[0].name,
                recorder=people[1].name,
                minutes=minutes,
                resolutions="一、同意将李某某确定为入党积极分子。\n二、下季度开展一次主题党日志愿服务活动。",
                attendance=attendance,
            ),
            today=TODAY,
        )
        short_ids = []
        for k in range(extra_meetings):
            m = meetings.create_meeting(
                s,
                branch.id,
                meetings.MeetingInput(
                    type="theme_day" if k % 2 else "committee",
                    held_on=date(YEAR, k % 10 + 1, 5 + (k // 10) % 20),
                    topics=f"第{k + 1}次例会：研究村集体经济发展",
                    place="村委会",
                    host=people[0].name,
                    recorder=people[1].name,
                    minutes="会议听取了工作汇报。",
                ),
                today=TODAY,
            )
            short_ids.append(m.id)
        attachments.store_file(
            s, "meeting", long_meeting.id, make_photo(tmp / "现场.jpg"), caption="会议现场"
        )
        attachments.store_file(
            s,
            "meeting",
            long_meeting.id,
            make_photo(tmp / "签到.jpg", (40, 90, 200)),
            kind="signin",
            caption="签到表",
        )
    return PrintFixture(
        branch.id,
        "B01",
        long_meeting.id,
        short_ids[0],
        [p.name for p in people],
        leave.name,
        "外出务工",
        absent.name,
        topics,
    )


@pytest.fixture
def branch_year(db: Database, build: Builder, tmp_path: Path) -> PrintFixture:
    return populate(db, build, tmp_path)


def page_texts(path: Path | bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(path) if isinstance(path, bytes) else str(path))
    return [p.extract_text() or "" for p in reader.pages]


def compact(text: str) -> str:
    """Extracted text with the line breaks of wrapping removed (wrapping splits words anywhere in CJK)."""
    return "".join(text.split())


def pdftoppm() -> str:
    exe = shutil.which("pdftoppm")
    if exe is None:
        pytest.fail("pdftoppm is missing: install poppler-utils (.ci/sysdeps.sh does)")
    return exe


def render_png(pdf: Path, out_prefix: Path, first: int = 1, last: int = 2, dpi: int = 60) -> list[Path]:
    proc = subprocess.run(
        [pdftoppm(), "-png", "-r", str(dpi), "-f", str(first), "-l", str(last), str(pdf), str(out_prefix)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Error" not in proc.stderr, proc.stderr
    return sorted(out_prefix.parent.glob(out_prefix.name + "*.png"))
