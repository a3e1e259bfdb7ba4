"""The column layouts the importers read and the templates write, declared once."""

from __future__ import annotations

from services.excel.headers import Column, Layout

# A township-wide list names each row's branch: read when present and checked against the target
# branch (a roster filtered to one branch still holds the others' rows), never offered in a template.
BRANCH_COLUMN = Column(
    "branch",
    "所在支部",
    ("所属支部", "支部", "支部名称", "所在党组织", "所属党组织", "党组织名称"),
    "branch",
    note="全镇名单里的这一列须是导入目标支部。",
    width=16,
    in_template=False,
)

ROSTER = Layout(
    "党员花名册",
    (
        Column("name", "姓名", ("名字", "党员姓名"), "name", required=True, note="必填。", width=10),
        Column(
            "gender", "性别", (), "enum", "Gender", note="可不填：按身份证号自动判断；填了会核对。", width=6
        ),
        Column("ethnicity", "民族", (), "text", note="不填默认为汉族。", width=8),
        Column(
            "birth_date",
            "出生日期",
            ("出生年月", "出生时间"),
            "date",
            note="可不填：按身份证号自动判断；填了会核对。",
            width=12,
        ),
        Column(
            "id_number",
            "公民身份号码",
            ("身份证号", "身份证号码", "身份证", "证件号码", "身份证件号码"),
            "id",
            required=True,
            note="必填，18 位。本列必须是“文本”格式，否则 Excel 会把号码改成科学计数法并丢掉最后几位。",
            width=21,
        ),
        Column("education", "学历", ("文化程度", "最高学历"), "enum", "Education", width=10),
        Column("phone", "联系电话", ("电话", "手机", "手机号", "手机号码", "联系方式"), "phone", width=14),
        Column(
            "joined_on",
            "入党日期",
            ("入党时间", "入党年月"),
            "date",
            required=True,
            note="必填。如 2005-07-01。",
            width=12,
        ),
        Column("full_member_on", "转正日期", ("转正时间",), "date", note="预备党员不填。", width=12),
        Column(
            "status",
            "党员类别",
            ("人员类别", "党员类型", "类别"),
            "enum",
            "MemberStatus",
            note="正式党员或预备党员；不填时入党满一年为正式党员，不满一年为预备党员（预备期一年）。",
            width=10,
        ),
        Column("discipline", "处分", ("纪律处分", "处分情况"), "enum", "Discipline", width=10),
        Column("party_group", "党小组", ("所在党小组",), note="须是本支部已有的党小组名称。", width=12),
        Column("is_flowing", "流动党员", ("是否流动党员",), "bool", note="填“是”或“否”。", width=8),
        Column(
            "occupation",
            "职业",
            ("工作岗位", "职业（工作岗位）", "现职业", "职业类别"),
            "enum",
            "Occupation",
            note="党内统计的职业类别，如 农牧渔民、工人（工勤技能人员）、离退休人员。",
            width=16,
        ),
        Column("is_migrant_worker", "农民工", ("是否农民工",), "bool", note="填“是”或“否”。", width=8),
        Column(
            "is_hardship",
            "困难党员",
            ("是否困难党员", "生活困难党员"),
            "bool",
            note="填“是”或“否”。",
            width=8,
        ),
        Column(
            "branch_since",
            "转入本支部日期",
            ("转入日期", "转入时间"),
            "date",
            note="不填则按入党日期。",
            width=14,
        ),
        Column("notes", "备注", (), width=20),
        BRANCH_COLUMN,
    ),
)

MEETINGS = Layout(
    "会议记录",
    (
        Column("seq", "会议序号", ("序号", "编号"), note="出席情况表用它指明是哪次会议。", width=8),
        Column(
            "held_on", "会议日期", ("日期", "召开日期", "时间", "会议时间"), "date", required=True, width=12
        ),
        Column(
            "type",
            "会议类型",
            ("类型", "会议类别", "类别"),
            "enum",
            "MeetingType",
            required=True,
            width=14,
        ),
        Column(
            "also_types",
            "兼作",
            ("同时作为", "合并召开", "兼作类型"),
            note="同一次活动也算作的其他会议类型，多个用顿号分隔，如：民主评议党员。",
            width=14,
        ),
        Column("topics", "议题", ("会议议题", "主题", "会议主题", "内容"), required=True, width=30),
        Column("place", "地点", ("会议地点", "召开地点"), width=16),
        Column("host", "主持人", (), "name", width=10),
        Column("recorder", "记录人", (), "name", width=10),
        Column("lecturer", "授课人", ("讲课人", "主讲人"), "name", note="党课必填。", width=10),
        Column("party_group", "党小组", (), note="党小组会必填：本支部党小组名称。", width=12),
        Column("minutes", "会议记录", ("记录", "会议纪要", "纪要"), width=30),
        Column("resolutions", "决议", ("会议决议", "决定事项"), width=20),
        Column(
            "recorded_on",
            "记录日期",
            ("整理日期", "记录整理日期"),
            "date",
            note="纸质记录上的记录日期；不填则按导入当天。",
            width=12,
        ),
        Column("backfilled", "补录", ("是否补录",), "bool", note="从纸质记录补录的填“是”。", width=8),
        BRANCH_COLUMN,
    ),
)

ATTENDANCE = Layout(
    "出席情况",
    (
        Column("seq", "会议序号", ("序号", "编号"), required=True, note="对应“会议”表的会议序号。", width=8),
        Column("name", "姓名", ("名字", "党员姓名"), "name", required=True, width=10),
        Column(
            "id_number",
            "公民身份号码",
            ("身份证号", "身份证号码", "身份证"),
            "text",
            note="同名时用来区分，可不填。",
            width=21,
        ),
        Column(
            "status",
            "出席情况",
            ("出勤", "出勤情况", "状态"),
            "enum",
            "AttendanceStatus",
            required=True,
            width=10,
        ),
        Column("reason", "原因", ("请假原因", "缺席原因", "事由"), note="请假须填写原因。", width=20),
    ),
)

# Rows beyond this in one import are refused: split by branch (a whole city is ~100,000 members).
MAX_ROWS = 20_000
