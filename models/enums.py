"""Closed sets stored as stable codes; Chinese wording lives only in ``LABELS``.

Codes never change when wording does, so they are safe in the database, in sync packages and in
handbook packs.
"""

from __future__ import annotations

from enum import StrEnum


class BranchKind(StrEnum):
    COMMITTEE = "committee"  # 党委
    GENERAL = "general"  # 党总支
    BRANCH = "branch"  # 党支部


class BranchDomain(StrEnum):
    RURAL = "rural"
    COMMUNITY = "community"
    ORGAN = "organ"
    SCHOOL = "school"
    HOSPITAL = "hospital"
    SOE = "soe"
    NONPUBLIC = "nonpublic"
    SOCIAL = "social"


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"


class MemberStatus(StrEnum):
    PROBATIONARY = "probationary"  # 预备党员: attends, does not vote
    FULL = "full"  # 正式党员


class MemberState(StrEnum):
    ACTIVE = "active"
    TRANSFERRED_OUT = "transferred_out"
    DECEASED = "deceased"
    LEFT = "left"


class Discipline(StrEnum):
    NONE = "none"
    PROBATION = "probation"  # 留党察看: attends, does not vote


class CommitteeRole(StrEnum):
    SECRETARY = "secretary"
    DEPUTY = "deputy"
    ORGANIZATION = "organization"
    PROPAGANDA = "propaganda"
    DISCIPLINE = "discipline"
    YOUTH = "youth"
    WOMEN = "women"
    MEMBER = "member"


class MeetingType(StrEnum):
    CONGRESS = "congress"  # 支部党员大会
    COMMITTEE = "committee"  # 支委会
    GROUP = "group"  # 党小组会
    LECTURE = "lecture"  # 党课
    THEME_DAY = "theme_day"  # 主题党日
    LIFE = "life"  # 组织生活会
    APPRAISAL = "appraisal"  # 民主评议党员
    OTHER = "other"


class AttendanceStatus(StrEnum):
    PRESENT = "present"  # 出席
    LEAVE = "leave"  # 请假
    ABSENT = "absent"  # 缺席
    OBSERVER = "observer"  # 列席


class Education(StrEnum):
    PRIMARY = "primary"
    JUNIOR = "junior"
    SENIOR = "senior"
    VOCATIONAL = "vocational"
    COLLEGE = "college"
    BACHELOR = "bachelor"
    MASTER = "master"
    DOCTOR = "doctor"


LABELS: dict[str, dict[str, str]] = {
    "BranchKind": {"committee": "党委", "general": "党总支", "branch": "党支部"},
    "BranchDomain": {
        "rural": "农村",
        "community": "社区",
        "organ": "机关",
        "school": "学校",
        "hospital": "医院",
        "soe": "国企",
        "nonpublic": "非公企业",
        "social": "社会组织",
    },
    "Gender": {"male": "男", "female": "女"},
    "MemberStatus": {"probationary": "预备党员", "full": "正式党员"},
    "MemberState": {"active": "在册", "transferred_out": "已转出", "deceased": "已去世", "left": "已出党"},
    "Discipline": {"none": "无", "probation": "留党察看"},
    "CommitteeRole": {
        "secretary": "书记",
        "deputy": "副书记",
        "organization": "组织委员",
        "propaganda": "宣传委员",
        "discipline": "纪检委员",
        "youth": "青年委员",
        "women": "妇女委员",
        "member": "委员",
    },
    "MeetingType": {
        "congress": "支部党员大会",
        "committee": "支委会",
        "group": "党小组会",
        "lecture": "党课",
        "theme_day": "主题党日",
        "life": "组织生活会",
        "appraisal": "民主评议党员",
        "other": "其他",
    },
    "AttendanceStatus": {"present": "出席", "leave": "请假", "absent": "缺席", "observer": "列席"},
    "Education": {
        "primary": "小学",
        "junior": "初中",
        "senior": "高中",
        "vocational": "中专",
        "college": "大专",
        "bachelor": "大学本科",
        "master": "硕士研究生",
        "doctor": "博士研究生",
    },
}


def label(value: StrEnum | str | None) -> str:
    """Chinese label of an enum member (or of a code, looked up in every table)."""
    if value is None:
        return ""
    if isinstance(value, StrEnum):
        return LABELS.get(type(value).__name__, {}).get(value.value, value.value)
    for table in LABELS.values():
        if value in table:
            return table[value]
    return str(value)


def code_for(enum_name: str, text: str) -> str | None:
    """Code of a Chinese label (or of the code itself), for parsing user input."""
    table = LABELS[enum_name]
    text = text.strip()
    if text in table:
        return text
    for code, lab in table.items():
        if lab == text:
            return code
    return None
