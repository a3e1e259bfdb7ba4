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


class ExclusionGround(StrEnum):
    """Grounds on which a member may be left out of 应到会 at an election (换届) meeting, with the
    higher committee's consent and the 党员大会's approval. Source: 《中国共产党基层组织选举工作条例》
    (2020) and the 中组部 rules on 应到会人数 (as republished); ../shared/domain.md "elections"."""

    ILLNESS = "illness"  # 患精神疾病或因病不能表达本人意志
    ABROAD = "abroad"  # 出国出境半年以上
    SUSPENDED = "suspended"  # 停止党籍
    IMPRISONED = "imprisoned"  # 正在服刑或被羁押
    AWAY = "away"  # 外出工作学习半年以上、应转未转组织关系
    UNREACHABLE = "unreachable"  # 外出务工经商一年以上无法取得联系


class Education(StrEnum):
    PRIMARY = "primary"
    JUNIOR = "junior"
    SENIOR = "senior"
    VOCATIONAL = "vocational"
    COLLEGE = "college"
    BACHELOR = "bachelor"
    MASTER = "master"
    DOCTOR = "doctor"


class Occupation(StrEnum):
    """党员的职业 as the 党内统计 counts it (the categories of 中共中央组织部《中国共产党党内统计公报》:
    工人（工勤技能人员）、农牧渔民、企事业单位和社会组织专业技术人员、企事业单位和社会组织管理人员、
    党政机关工作人员、学生、其他职业人员、离退休人员)."""

    WORKER = "worker"  # 工人（工勤技能人员）
    FARMER = "farmer"  # 农牧渔民
    PROFESSIONAL = "professional"  # 专业技术人员
    MANAGER = "manager"  # 企事业单位、社会组织管理人员
    OFFICIAL = "official"  # 党政机关工作人员
    STUDENT = "student"
    OTHER = "other"  # 其他职业人员
    RETIRED = "retired"  # 离退休人员


class DevelopmentStage(StrEnum):
    APPLICANT = "applicant"  # 入党申请人
    ACTIVIST = "activist"  # 入党积极分子
    CANDIDATE = "candidate"  # 发展对象
    PROBATIONARY = "probationary"  # 预备党员
    FULL = "full"  # 正式党员
    WITHDRAWN = "withdrawn"  # 终止培养


class TransferDirection(StrEnum):
    IN = "in"
    OUT = "out"


class FeeCategory(StrEnum):
    SALARIED = "salaried"  # 在职
    RETIRED = "retired"  # 离退休
    FARMER = "farmer"  # 农民
    STUDENT = "student"  # 学生
    UNEMPLOYED = "unemployed"  # 下岗失业
    RELIEF = "relief"  # 享受低保


class ExemptionKind(StrEnum):
    LEAVE = "leave"  # 请假 (approved, with dates): no organisational life owed
    INFIRM = "infirm"  # 年老体弱、行动不便: 不作硬性要求 for organisational life
    FEE_EXEMPT = "fee_exempt"  # 免交党费 (approved)
    FEE_REDUCED = "fee_reduced"  # 少交党费 (approved, a reduced monthly amount)


class AppraisalGradeCode(StrEnum):
    EXCELLENT = "excellent"  # 优秀
    QUALIFIED = "qualified"  # 合格
    BASIC = "basic"  # 基本合格
    UNQUALIFIED = "unqualified"  # 不合格


class FollowUp(StrEnum):
    CORRECT = "correct"  # 限期改正
    PERSUADE = "persuade"  # 劝其退党
    REMOVE = "remove"  # 除名


class ContactWay(StrEnum):
    PHONE = "phone"
    WECHAT = "wechat"
    VISIT = "visit"
    LETTER = "letter"


class FundDirection(StrEnum):
    INCOME = "income"
    EXPENSE = "expense"


class DecisionProcedure(StrEnum):
    FOUR_TWO = "four_two"  # 四议两公开
    ORDINARY = "ordinary"


class TrainingKind(StrEnum):
    STUDY = "study"  # 集中学习
    TRAINING = "training"  # 培训班
    ONLINE = "online"  # 网络学习
    LECTURE = "lecture"  # 专题讲座


class DecisionStepCode(StrEnum):
    PROPOSAL = "proposal"  # 党支部提议
    CONSULTATION = "consultation"  # 两委会商议
    CONGRESS_REVIEW = "congress_review"  # 党员大会审议
    RESOLUTION = "resolution"  # 村民代表会议或村民会议决议
    RESOLUTION_PUBLIC = "resolution_public"  # 决议公开
    RESULT_PUBLIC = "result_public"  # 实施结果公开


class VenueItem(StrEnum):
    SITE = "site"  # 有标准场所
    SIGNS = "signs"  # 有规范标识
    ACTIVITY_ROOM = "activity_room"  # 有党员活动室
    SERVICE_CENTER = "service_center"  # 有便民服务中心
    OFFICE = "office"  # 有综合办公室
    LIBRARY = "library"  # 有农家书屋
    NOTICE_BOARD = "notice_board"  # 有公开栏
    SQUARE = "square"  # 有室外活动广场


class RectificationStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


class AttachmentKind(StrEnum):
    PHOTO = "photo"
    SIGNIN = "signin"  # 签到表
    SCAN = "scan"
    DOCUMENT = "document"


class RectificationSource(StrEnum):
    INSPECTION = "inspection"  # 上级督查
    CHECK = "check"  # 台账检查
    SELF = "self"  # 自查


class Role(StrEnum):
    ADMIN = "admin"  # 管理员: users, settings, restore, and everything an editor does
    EDITOR = "editor"  # 录入员: enter and edit records
    VIEWER = "viewer"  # 查阅: read and print only


class AuditAction(StrEnum):
    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"  # soft delete (moved to the recycle bin)
    RESTORE = "restore"  # back from the recycle bin
    BULK = "bulk"  # summary of a bulk write that bypassed the ORM (demo data)
    EVENT = "event"  # login, local-admin use, backup restored, …
    PURGE = "purge"  # a bookkeeping row (never a ledger record) really deleted


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
    "DevelopmentStage": {
        "applicant": "入党申请人",
        "activist": "入党积极分子",
        "candidate": "发展对象",
        "probationary": "预备党员",
        "full": "正式党员",
        "withdrawn": "终止培养",
    },
    "TransferDirection": {"in": "转入", "out": "转出"},
    "FeeCategory": {
        "salaried": "在职",
        "retired": "离退休",
        "farmer": "农民",
        "student": "学生",
        "unemployed": "下岗失业",
        "relief": "享受低保",
    },
    "ExemptionKind": {
        "leave": "请假",
        "infirm": "年老体弱",
        "fee_exempt": "免交党费",
        "fee_reduced": "少交党费",
    },
    "AppraisalGradeCode": {
        "excellent": "优秀",
        "qualified": "合格",
        "basic": "基本合格",
        "unqualified": "不合格",
    },
    "FollowUp": {"correct": "限期改正", "persuade": "劝其退党", "remove": "除名"},
    "ContactWay": {"phone": "电话", "wechat": "微信", "visit": "走访", "letter": "书信"},
    "FundDirection": {"income": "收入", "expense": "支出"},
    "DecisionProcedure": {"four_two": "四议两公开", "ordinary": "一般程序"},
    "TrainingKind": {"study": "集中学习", "training": "培训班", "online": "网络学习", "lecture": "专题讲座"},
    "DecisionStepCode": {
        "proposal": "党支部提议",
        "consultation": "两委会商议",
        "congress_review": "党员大会审议",
        "resolution": "村民代表会议或村民会议决议",
        "resolution_public": "决议公开",
        "result_public": "实施结果公开",
    },
    "VenueItem": {
        "site": "有标准场所",
        "signs": "有规范标识",
        "activity_room": "有党员活动室",
        "service_center": "有便民服务中心",
        "office": "有综合办公室",
        "library": "有农家书屋",
        "notice_board": "有公开栏",
        "square": "有室外活动广场",
    },
    "RectificationStatus": {"open": "待整改", "in_progress": "整改中", "closed": "已销号"},
    "AttachmentKind": {"photo": "照片", "signin": "签到表", "scan": "扫描件", "document": "文件"},
    "RectificationSource": {"inspection": "上级督查", "check": "台账检查", "self": "自查"},
    "Role": {"admin": "管理员", "editor": "录入员", "viewer": "查阅"},
    "AuditAction": {
        "insert": "新增",
        "update": "修改",
        "delete": "删除",
        "restore": "恢复",
        "bulk": "批量写入",
        "event": "事件",
        "purge": "清除",
    },
    "ExclusionGround": {
        "illness": "患精神疾病或因病不能表达本人意志",
        "abroad": "出国出境半年以上",
        "suspended": "停止党籍",
        "imprisoned": "正在服刑或被羁押",
        "away": "外出工作学习半年以上、应转未转组织关系",
        "unreachable": "外出务工经商一年以上无法取得联系",
    },
    "Occupation": {
        "worker": "工人（工勤技能人员）",
        "farmer": "农牧渔民",
        "professional": "专业技术人员",
        "manager": "企事业单位、社会组织管理人员",
        "official": "党政机关工作人员",
        "student": "学生",
        "other": "其他职业人员",
        "retired": "离退休人员",
    },
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


def label(value: StrEnum | None) -> str:
    """Chinese label of an enum member. A bare code is ambiguous ("committee" is a meeting type and a
    branch kind): wrap it in its enum (``label(Gender(m.gender))``) or ask its column's kind."""
    if value is None:
        return ""
    return LABELS.get(type(value).__name__, {}).get(value.value, value.value)


# Words clerks use for a value besides its label (the roster import's cells and the CLI's options
# read the same table: ``services.excel.values.enum_code``, ``services.cli.coded``).
ALIASES: dict[str, dict[str, str]] = {
    "MemberStatus": {"正式": "full", "预备": "probationary"},
    "Discipline": {"": "none", "否": "none", "没有": "none"},
    "Occupation": {
        "工人": "worker",
        "工勤技能人员": "worker",
        "农民": "farmer",
        "牧民": "farmer",
        "渔民": "farmer",
        "专业技术": "professional",
        "管理人员": "manager",
        "企业管理人员": "manager",
        "机关干部": "official",
        "公务员": "official",
        "在校学生": "student",
        "其他": "other",
        "退休": "retired",
        "离退休": "retired",
        "退休人员": "retired",
    },
    "Education": {
        "本科": "bachelor",
        "大学": "bachelor",
        "研究生": "master",
        "初中及以下": "junior",  # the 党内统计 band (小学 and 初中 count in it alike)
        "硕士": "master",
        "博士": "doctor",
        "中技": "vocational",
        "技校": "vocational",
        "职高": "vocational",
        "专科": "college",
        "高职": "college",
    },
    "Gender": {"男性": "male", "女性": "female"},
    "AttendanceStatus": {
        "到": "present",
        "参加": "present",
        "已到": "present",
        "请假": "leave",
        "假": "leave",
        "缺": "absent",
        "未到": "absent",
    },
}


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
