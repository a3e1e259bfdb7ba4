"""Topics, minutes and resolutions for demo meetings, in the words clerks use, tied to the date."""

from __future__ import annotations

import random
from datetime import date

from models.enums import BranchDomain, MeetingType

# Study themes by period (the campaign a branch was studying at the time).
_STUDY = (
    (date(2016, 2, 1), "“两学一做”学习教育"),
    (date(2017, 10, 25), "党的十九大精神"),
    (date(2019, 6, 1), "“不忘初心、牢记使命”主题教育"),
    (date(2020, 1, 1), "习近平新时代中国特色社会主义思想"),
    (date(2021, 2, 20), "党史学习教育"),
    (date(2022, 10, 23), "党的二十大精神"),
    (date(2023, 4, 1), "学习贯彻习近平新时代中国特色社会主义思想主题教育"),
    (date(2024, 4, 1), "党纪学习教育和《中国共产党纪律处分条例》"),
    (date(2024, 8, 1), "党的二十届三中全会精神"),
    (date(2025, 3, 15), "深入贯彻中央八项规定精神学习教育"),
    (date(2025, 10, 25), "党的二十届四中全会精神"),
)

_WORK = {
    BranchDomain.RURAL: (
        "人居环境整治",
        "乡村振兴产业发展",
        "苹果产业提质增效",
        "黄花菜种植与销售",
        "防汛抗旱和地质灾害防范",
        "秸秆禁烧与森林防火",
        "城乡居民医保和养老保险收缴",
        "低保对象民主评议",
        "村级集体经济发展",
        "移风易俗和红白理事会",
        "防返贫动态监测",
        "村级事务“四议两公开”",
    ),
    BranchDomain.COMMUNITY: (
        "网格化管理",
        "老旧小区改造",
        "文明城市创建",
        "矛盾纠纷排查化解",
        "为民服务办实事",
        "社区志愿服务",
        "安全生产和消防检查",
        "独居老人关爱",
    ),
    BranchDomain.ORGAN: (
        "作风建设",
        "优化营商环境",
        "干部包村联户工作",
        "意识形态工作",
        "安全生产大检查",
        "政务公开",
        "财务管理制度落实",
    ),
    BranchDomain.SCHOOL: (
        "师德师风建设",
        "“双减”政策落实",
        "校园安全",
        "课后服务",
        "学生资助工作",
        "教学质量提升",
    ),
    BranchDomain.HOSPITAL: (
        "医德医风建设",
        "家庭医生签约服务",
        "医保基金使用规范",
        "传染病防控",
        "医疗质量安全",
    ),
    BranchDomain.NONPUBLIC: ("企业生产经营", "安全生产", "职工技能培训", "党建带工建", "产品质量提升"),
}

_THEME_BY_MONTH = {
    1: "走访慰问困难党员和老党员",
    2: "“新春送温暖”志愿服务",
    3: "学雷锋志愿服务",
    4: "清明祭扫烈士陵园、缅怀革命先烈",
    5: "“五四”青年党员座谈",
    6: "重温入党誓词、“七一”前夕党员承诺践诺",
    7: "庆祝中国共产党成立{party_age}周年",
    8: "观看警示教育片",
    9: "“农民丰收节”志愿服务",
    10: "“我和我的祖国”主题学习",
    11: "党员积分评定和冬季安全宣传",
    12: "“宪法宣传日”学法用法",
}

LEAVE_REASONS = {
    "migrant": ("外出务工", "外出务工", "外出务工", "外出经商", "在外地打工"),
    "old": ("年老体弱", "行动不便", "生病住院", "年老体弱，行动不便", "外出就医"),
    BranchDomain.RURAL: ("生病住院", "家中有事", "照顾病人", "农忙", "外出办事"),
    BranchDomain.COMMUNITY: ("生病住院", "家中有事", "照顾病人", "外出探亲", "值班"),
    BranchDomain.ORGAN: ("公务出差", "参加培训", "下乡工作", "值班", "病假"),
    BranchDomain.SCHOOL: ("上课", "参加培训", "带学生外出比赛", "病假", "家中有事"),
    BranchDomain.HOSPITAL: ("值班", "手术", "外出进修", "病假", "出诊"),
    BranchDomain.NONPUBLIC: ("出差", "生产值班", "病假", "家中有事"),
    BranchDomain.SOE: ("出差", "生产值班", "病假"),
    BranchDomain.SOCIAL: ("出差", "病假", "家中有事"),
}

PLACES = {
    BranchDomain.RURAL: ("村党员活动室", "村委会会议室", "村党群服务中心"),
    BranchDomain.COMMUNITY: ("社区党群服务中心", "社区会议室"),
    BranchDomain.ORGAN: ("镇政府三楼会议室", "镇机关党员活动室"),
    BranchDomain.SCHOOL: ("学校会议室", "学校党员活动室"),
    BranchDomain.HOSPITAL: ("卫生院会议室", "卫生院党员活动室"),
    BranchDomain.NONPUBLIC: ("公司会议室", "公司党员活动室"),
    BranchDomain.SOE: ("公司会议室",),
    BranchDomain.SOCIAL: ("办公室",),
}


def study_theme(day: date) -> str:
    theme = "党的理论"
    for since, name in _STUDY:
        if day >= since:
            theme = name
    return theme


def work_item(rng: random.Random, domain: str, day: date) -> str:
    items = list(_WORK.get(BranchDomain(domain), _WORK[BranchDomain.NONPUBLIC]))
    if domain in (BranchDomain.RURAL, BranchDomain.COMMUNITY) and date(2020, 1, 20) <= day <= date(
        2022, 12, 7
    ):
        items.append("疫情防控")
    return rng.choice(items)


def topics(rng: random.Random, kind: str, domain: str, day: date) -> str:
    theme = study_theme(day)
    work = work_item(rng, domain, day)
    if kind == MeetingType.COMMITTEE:
        first = rng.choice((f"传达学习{theme}", "研究本月党建工作安排", "研究党员发展和教育管理工作"))
        return f"1.{first}；2.研究部署{work}工作；3.研究党费收缴和党员管理有关事项"
    if kind == MeetingType.CONGRESS:
        second = rng.choice(("通报本季度支部工作", "讨论党员发展和预备党员转正", "讨论重大事项"))
        return f"1.学习{theme}；2.{second}；3.{work}工作动员"
    if kind == MeetingType.GROUP:
        return f"学习{theme}，交流{work}工作中的体会"
    if kind == MeetingType.LECTURE:
        return rng.choice(
            (
                f"专题党课：深入学习{theme}",
                f"党课：以{theme}引领{work}",
                "党课：坚定理想信念，争做合格党员",
                "党课：传承红色基因，践行初心使命",
            )
        )
    if kind == MeetingType.THEME_DAY:
        activity = _THEME_BY_MONTH[day.month].format(party_age=day.year - 1921)
        return f"{activity}；集中学习{theme}；交纳党费"
    if kind == MeetingType.LIFE:
        return f"{day.year}年度组织生活会：对照检查、开展批评和自我批评"
    if kind == MeetingType.APPRAISAL:
        return f"{day.year}年度民主评议党员"
    return f"学习{theme}"


def minutes(
    rng: random.Random, kind: str, host: str, expected: int, present: int, leave: list[str], day: date
) -> str:
    head = f"{host}主持会议。应到{expected}人，实到{present}人"
    head += f"，{'、'.join(leave[:6])}{'等' if len(leave) > 6 else ''}请假。" if leave else "。"
    theme = study_theme(day)
    body = {
        MeetingType.COMMITTEE: f"会议传达学习了{theme}有关内容，支委逐一汇报分管工作，研究了下一步工作安排。",
        MeetingType.CONGRESS: f"会议组织学习{theme}，书记通报支部近期工作，与会党员进行了讨论并表决有关事项。",
        MeetingType.GROUP: f"党小组长领学{theme}，党员结合自身工作交流了学习体会。",
        MeetingType.LECTURE: "授课人围绕主题讲授党课，党员认真听讲并做学习笔记，课后进行了交流研讨。",
        MeetingType.THEME_DAY: "全体党员参加主题党日活动，按时交纳党费，开展集中学习和志愿服务。",
        MeetingType.LIFE: "支部书记代表支委会作对照检查，班子成员逐一发言，党员之间开展了批评和自我批评。",
        MeetingType.APPRAISAL: "党员进行个人总结，开展互评和民主测评，支委会根据测评情况提出评定等次意见。",
    }.get(MeetingType(kind), "会议按议程进行。")
    tail = rng.choice(("", "会议气氛热烈。", "与会党员表示将把学习成果转化为工作实效。", "会议按时结束。"))
    return head + body + tail


def resolutions(rng: random.Random, kind: str, domain: str, day: date, events: list[str]) -> str:
    if kind not in (MeetingType.COMMITTEE, MeetingType.CONGRESS, MeetingType.APPRAISAL, MeetingType.LIFE):
        return ""
    items = list(events)
    if kind == MeetingType.COMMITTEE:
        items.append(f"明确{work_item(rng, domain, day)}工作责任分工")
    elif kind == MeetingType.CONGRESS:
        items.append(rng.choice(("通过本季度支部工作安排", "同意支委会关于近期重点工作的意见")))
    elif kind == MeetingType.LIFE:
        items.append("针对查摆出的问题建立整改清单，明确整改时限")
    else:
        items.append("评议结果报镇党委备案")
    return "；".join(f"{i}.{text}" for i, text in enumerate(items, start=1)) + "。"
