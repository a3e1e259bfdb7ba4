"""Synthetic people for the demo township: names, ID numbers, phones, ethnicity, education.

Everything draws from the caller's ``random.Random`` so a seed always gives the same people.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from models.enums import Education
from services import idcard
from services.dates import add_years

# Common surnames, roughly by frequency (the first ones weigh most).
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏"
    "薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常"
    "武乔贺赖龚文慕党路景巩安"
)
# Roughly Zipf: 王, 李, 张 about 7–8 % each, the tail well under 1 %.
_SURNAME_WEIGHTS = [100.0 / (i + 3) for i in range(len(SURNAMES))]

MALE_CHARS = (
    "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信"
    "子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超"
    "浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠"
    "榕风航弘宝存忠银田"
)
FEMALE_CHARS = (
    "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳"
    "嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑"
    "婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝"
    "丽阳思"
)
# Generation characters (字辈) used in villages: brothers and cousins share the first given character.
GENERATION_CHARS = "永志建国文德春学世天玉明长兴振宏进宗继"

# Birth places: mostly the demo county (621027, 镇原县), then the rest of Qingyang and Gansu, a few from afar.
LOCAL_AREA = "621027"
NEAR_AREAS = ("621002", "621021", "621022", "621023", "621024", "621025", "621026")
FAR_AREAS = ("620102", "620103", "620104", "620105", "620402", "620502", "610102", "610113", "640104")

ETHNICITIES = (("汉族", 960), ("回族", 30), ("满族", 4), ("蒙古族", 3), ("藏族", 2), ("东乡族", 1))

MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "173",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "199",
]


class People:
    """Draws names and ID numbers; remembers numbers already handed out so none repeats."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used_ids: set[str] = set()

    def surname(self, clan: list[str] | None = None) -> str:
        # Villages are often clan villages: a few surnames cover most households.
        if clan and self.rng.random() < 0.45:
            return self.rng.choice(clan)
        return self.rng.choices(SURNAMES, weights=_SURNAME_WEIGHTS)[0]

    def clan(self) -> list[str]:
        picks: list[str] = []
        size = self.rng.randint(2, 3)
        while len(picks) < size:
            name = self.surname()
            if name not in picks:
                picks.append(name)
        return picks

    def given(self, male: bool, birth_year: int) -> str:
        chars = MALE_CHARS if male else FEMALE_CHARS
        # Single-character given names were common in the 1950s–80s and again lately.
        single = 0.35 if 1950 <= birth_year <= 1985 else 0.15
        if self.rng.random() < single:
            return self.rng.choice(chars)
        if male and birth_year < 1975 and self.rng.random() < 0.3:
            return self.rng.choice(GENERATION_CHARS) + self.rng.choice(chars)
        first, second = self.rng.choice(chars), self.rng.choice(chars)
        while second == first:
            second = self.rng.choice(chars)
        return first + second

    def name(self, male: bool, birth_year: int, clan: list[str] | None = None) -> str:
        return self.surname(clan) + self.given(male, birth_year)

    def area(self, local_share: float) -> str:
        r = self.rng.random()
        if r < local_share:
            return LOCAL_AREA
        if r < local_share + (1 - local_share) * 0.7:
            return self.rng.choice(NEAR_AREAS)
        return self.rng.choice(FAR_AREAS)

    def id_number(self, area: str, birth: date, male: bool) -> str:
        while True:
            seq = self.rng.randrange(0, 500) * 2 + (1 if male else 0)
            number = idcard.make(area, birth, seq)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def birth_date(self, today: date, age_from: int, age_to: int) -> date:
        """A birth date giving an age in [age_from, age_to] on ``today``."""
        latest = years_before(today, age_from)
        earliest = years_before(today, age_to + 1) + timedelta(days=1)
        return earliest + timedelta(days=self.rng.randrange((latest - earliest).days + 1))

    def ethnicity(self) -> str:
        names, weights = zip(*ETHNICITIES, strict=True)
        return self.rng.choices(names, weights=weights)[0]

    def phone(self, age: int) -> str:
        # Many of the oldest rural members have no mobile phone of their own.
        if age > 78 and self.rng.random() < 0.5:
            return ""
        if self.rng.random() < 0.03:
            return f"0934-{self.rng.randrange(3200000, 3299999)}"
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(100_000_000):08d}"

    def education(self, birth_year: int, educated: bool) -> str:
        """Educated = organ, school, hospital staff; otherwise rural and community residents."""
        if educated:
            options = [Education.COLLEGE, Education.BACHELOR, Education.MASTER, Education.VOCATIONAL]
            weights = [25, 60, 10, 5] if birth_year >= 1975 else [40, 35, 3, 22]
        elif birth_year < 1955:
            options = [Education.PRIMARY, Education.JUNIOR, Education.SENIOR]
            weights = [55, 35, 10]
        elif birth_year < 1975:
            options = [Education.PRIMARY, Education.JUNIOR, Education.SENIOR, Education.VOCATIONAL]
            weights = [20, 50, 22, 8]
        else:
            options = [Education.JUNIOR, Education.SENIOR, Education.VOCATIONAL, Education.COLLEGE]
            options.append(Education.BACHELOR)
            weights = [25, 25, 15, 20, 15]
        return str(self.rng.choices(options, weights=weights)[0])


def years_before(day: date, years: int) -> date:
    return add_years(day, -years)
