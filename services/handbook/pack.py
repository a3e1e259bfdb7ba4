"""The handbook pack: schema (pydantic) and loader for ``resources/handbook/*.toml``.

The pack is the single source of the catalog (标准 → 规范 → 资料), the seven ledgers, the rules and the
star rating; the engine, the screens, Excel and print read it. Loading validates the file's shape, then
every cross-reference (rule → 规范, 规范 → 资料, columns → real fields, meeting types → codes, message
placeholders → what the rule type can fill in) and reports every problem in Chinese at once.
"""

from __future__ import annotations

import string
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from pydantic import ValidationError as PydanticError

from models.enums import LABELS
from services.handbook.errors import PackError
from services.handbook.period import Unit
from services.handbook.sources import declared_keys, meeting_types, section_field, sources
from services.paths import data_dir, resources_dir

Importance = Literal["error", "warning", "info"]
IMPORTANCE_LABELS: dict[str, str] = {"error": "错误", "warning": "警告", "info": "提示"}
IMPORTANCE_RANK: dict[str, int] = {"error": 3, "warning": 2, "info": 1}
FilterValue = str | int | bool | list[str] | list[int]


CHOICE_FILE = "handbook-pack.txt"  # in the user-data folder: the pack chosen on this computer


def default_pack_path() -> Path:
    return resources_dir() / "handbook" / "default.toml"


def chosen_pack_path() -> Path | None:
    try:
        text = (data_dir() / CHOICE_FILE).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return Path(text) if text else None


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- catalog -------------------------------------------------------------------------------


class Card(_Model):
    """明白卡: what to do, how, and the steps."""

    what: str = Field(min_length=1)
    how: str = Field(min_length=1)
    steps: list[str] = Field(min_length=1)


class Evidence(_Model):
    """资料: a kind of record that proves a 规范, counted in the period (or at its end when undated)."""

    id: str
    name: str
    records: str
    filter: dict[str, FilterValue] = Field(default_factory=dict)
    date_field: str | None = None


class Norm(_Model):
    id: str
    name: str
    card: Card
    evidence: list[str] = Field(default_factory=list)


class Standard(_Model):
    id: str
    name: str
    ledger: str
    norm: list[Norm] = Field(min_length=1)


# --- ledgers -------------------------------------------------------------------------------


class LedgerColumn(_Model):
    field: str
    title: str
    width: int | None = None


class LedgerSection(_Model):
    """A section of a ledger: either stored ``records`` (a table, with filter/date field/order) or a
    ``listing`` declared in ``services.ledgers.catalog`` (its columns by declared key)."""

    title: str
    records: str = ""
    listing: str = ""
    filter: dict[str, FilterValue] = Field(default_factory=dict)
    date_field: str | None = None
    order_by: str | None = None
    columns: list[LedgerColumn] = Field(min_length=1)


class Ledger(_Model):
    id: str
    name: str
    section: list[LedgerSection] = Field(min_length=1)


# --- rules ---------------------------------------------------------------------------------


class When(_Model):
    """Which branches a rule applies to (all conditions must hold; counts at the reference date).

    ``level``: ``branch`` judges each organisation on its own records; ``village`` judges a village once,
    at its 村党总支 when it has one (counting the sub-branches' records with it), never at the
    sub-branches. ``outside_parent_kinds``: not for an organisation inside one of these kinds (ORG-07's
    “可设党总支” means nothing inside an existing 党总支)."""

    kinds: list[str] | None = None
    domains: list[str] | None = None
    min_full_members: int | None = None
    max_full_members: int | None = None
    level: Literal["branch", "village"] = "branch"
    outside_parent_kinds: list[str] | None = None


class _Rule(_Model):
    id: str
    name: str
    norm: str
    importance: Importance
    message: str = Field(min_length=1)
    source: str = Field(min_length=1)  # citation a clerk can look up
    when: When | None = None


class FrequencyRule(_Rule):
    """At least ``min`` meetings of a type in every ``per`` window (optionally per party group)."""

    type: Literal["frequency"]
    meeting_type: str
    min: int = Field(ge=1)
    per: Unit
    scope: Literal["branch", "group"] = "branch"
    quorum_only: bool = False
    grace_days: int = Field(default=0, ge=0)


class QuorumRule(_Rule):
    """Share of voting members present at each meeting of the given types must exceed ``share``."""

    type: Literal["quorum"]
    meeting_types: list[str] = Field(min_length=1)
    share: float = Field(gt=0, lt=1)
    strict: bool = True  # True: more than the share; False: at least


class CompositionRule(_Rule):
    """Branch make-up at the reference date."""

    type: Literal["composition"]
    check: Literal["full_members", "committee_required", "secretary", "committee_size", "probationary_seat"]
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)
    threshold: int | None = Field(default=None, ge=1)  # committee_required: full members from which


class TermRule(_Rule):
    """Committee term (届) expired, or expiring within ``within_days``."""

    type: Literal["term"]
    check: Literal["expired", "expiring"]
    within_days: int = Field(default=0, ge=0)
    years: int = Field(ge=1)
    years_by_domain: dict[str, int] = Field(default_factory=dict)


class DeadlineRule(_Rule):
    """Something not done in time: probation not converted, a record entered late."""

    type: Literal["deadline"]
    check: Literal["probation_overdue", "late_record"]
    months: int | None = Field(default=None, ge=1)
    days: int | None = Field(default=None, ge=0)
    meeting_types: list[str] = Field(default_factory=list)


class EvidenceRule(_Rule):
    """Every meeting of the given types carries the listed fields and attachments."""

    type: Literal["evidence"]
    meeting_types: list[str] = Field(min_length=1)
    fields: list[str] = Field(default_factory=list)
    attachment_kinds: list[str] = Field(default_factory=list)


class CountRule(_Rule):
    """A count, or a ratio numerator/denominator, of any source's records, kept within min/max."""

    type: Literal["count"]
    records: str
    filter: dict[str, FilterValue] = Field(default_factory=dict)
    date_field: str | None = None
    per: Unit | None = None  # judge each closed window; None: the whole period at its end
    measure: Literal["count", "ratio"] = "count"
    numerator: dict[str, FilterValue] = Field(default_factory=dict)
    min: float | None = None
    max: float | None = None
    # A "YYYY-MM" text field windows are judged by instead of a date (党费: the month the dues are for,
    # whenever paid); fields a record must have filled to count; a date after which a record is not
    # yet known on the check day (a payment made after it does not count in a past check).
    month_field: str | None = None
    filled: list[str] = Field(default_factory=list)
    known_by: str | None = None


class PipelineRule(_Rule):
    """发展党员 timing (《发展党员工作细则》): age at application, talk within ``months``, a year
    (``days``) as 积极分子, the 发展对象 training, conversion coming due within ``days``, reviews."""

    type: Literal["pipeline"]
    check: Literal[
        "age",
        "talk",
        "activist_year",
        "training",
        "conversion_due",
        "review",
        "political_review",
        "publicity",
        "admission_meeting",
        "approval",
        "oath",
        "early_conversion",
        "conversion_meeting",
    ]
    min_age: int = Field(default=18, ge=1)
    months: int = Field(default=1, ge=1)
    days: int = Field(default=365, ge=0)
    training_days: int = Field(default=3, ge=0)
    training_hours: int = Field(default=24, ge=0)


class LapseRule(_Rule):
    """Consecutive months, up to the last closed month, without paying dues (``dues``) or without any
    organisational life (``life``): ``min_months`` … ``max_months`` (党章第九条: six months)."""

    type: Literal["lapse"]
    check: Literal["dues", "life"]
    min_months: int = Field(ge=1)
    max_months: int | None = Field(default=None, ge=1)


class HoursRule(_Rule):
    """Each member's study hours in a closed year reach ``target_hours``."""

    type: Literal["hours"]
    target_hours: int = Field(ge=1)


class TalkRule(_Rule):
    """谈心谈话: every member on the roster at a closed year's end was talked with ``min`` times in it."""

    type: Literal["talks"]
    min: int = Field(default=1, ge=1)
    # ``life_meeting``: the talks must come before the year's first 组织生活会 (judged once it is held)
    by: Literal["year_end", "life_meeting"] = "year_end"
    # A member who joined the branch (admitted or transferred in) fewer than ``settle_days`` before the
    # deadline is not judged for that year: nobody can be talked with on the day they arrive.
    settle_days: int = Field(default=30, ge=0)


class GradeRule(_Rule):
    """民主评议 grades of a year: 优秀 at most ``max_share`` of the full members (``excellent_share``),
    or every 不合格 followed up by 限期改正/劝其退党/除名 (``unqualified_follow_up``)."""

    type: Literal["grades"]
    check: Literal["excellent_share", "unqualified_follow_up"]
    max_share: float = Field(default=1 / 3, gt=0, le=1)


class ProcedureRule(_Rule):
    """Decisions (四议两公开) proposed in the period and older than ``days`` have every step recorded."""

    type: Literal["procedure"]
    days: int = Field(default=90, ge=0)


class VenueRule(_Rule):
    """Every 八有 item checked and met (with a photo when ``require_photo``) on the reference day."""

    type: Literal["venue"]
    require_photo: bool = False


class RectificationRule(_Rule):
    """Problems past their deadline and not closed (``overdue``), or a 软弱涣散 listing still open."""

    type: Literal["rectification"]
    check: Literal["overdue", "weak_open"]


Rule = Annotated[
    FrequencyRule
    | QuorumRule
    | CompositionRule
    | TermRule
    | DeadlineRule
    | EvidenceRule
    | CountRule
    | PipelineRule
    | LapseRule
    | HoursRule
    | TalkRule
    | GradeRule
    | ProcedureRule
    | VenueRule
    | RectificationRule,
    Field(discriminator="type"),
]
# The ``type`` tag of each rule class, in the order of ``Rule`` (read from the classes, never listed twice).
RULE_TYPES: list[str] = [
    tag for cls in get_args(get_args(Rule)[0]) for tag in get_args(cls.model_fields["type"].annotation)
]

# What each rule type can put into its message; {branch} {period} {rule} work everywhere.
PLACEHOLDERS: dict[str, set[str]] = {
    "frequency": {"min", "count", "meeting", "per", "groups"},
    "quorum": {"meetings", "share", "count"},
    "composition": {"count", "min", "max", "threshold", "committee", "names"},
    "term": {"term_end", "days"},
    "deadline": {"count", "names", "days", "months", "meetings"},
    "evidence": {"count", "meetings", "missing"},
    "count": {"value", "min", "max", "numerator", "denominator"},
    "pipeline": {"count", "names", "details", "min_age", "months", "days", "training_days", "training_hours"},
    "lapse": {"count", "names", "min_months", "max_months", "month"},
    "hours": {"count", "names", "target"},
    "talks": {"count", "names", "min", "meeting"},
    "grades": {"count", "names", "full", "limit"},
    "procedure": {"count", "titles", "days"},
    "venue": {"count", "missing"},
    "rectification": {"count", "items"},
}
COMMON_PLACEHOLDERS = {"branch", "period", "rule"}


# --- stars ---------------------------------------------------------------------------------


class BasicStar(_Model):
    id: str
    name: str
    veto_rules: list[str] = Field(min_length=1)


class ScoreItem(_Model):
    """A domain task: points granted when none of ``rules`` has a finding for the branch in the year.

    ``domains``: the branch domains whose task this is (the 100 points are the branch's own domain's
    tasks). ``proportional``: a partly met task earns its share (windows without a finding / windows
    judged). ``needs``: a subject the task is about (``party_groups``); a branch without it earns
    nothing here — a task with no subject is not free points."""

    name: str
    points: int = Field(ge=0)
    rules: list[str] = Field(min_length=1)
    domains: list[str] | None = None
    proportional: bool = False
    needs: Literal["party_groups"] | None = None


class Highlight(_Model):
    """A highlight (亮点): earned only when a record is filed under ``evidence`` (a 资料 item) for the
    year — with its evidence — and none of ``rules`` (optional) has a finding. Never by default."""

    name: str
    points: int = Field(ge=0)
    evidence: str
    rules: list[str] = Field(default_factory=list)


class FeatureStars(_Model):
    requires_all_basic: bool = True
    points_per_star: int = Field(ge=1)
    max_stars: int = Field(ge=0)
    task_total: int = Field(default=100, ge=1)  # every domain's tasks add up to this
    highlight_cap: int = Field(ge=0)
    task: list[ScoreItem] = Field(default_factory=list)
    highlight: list[Highlight] = Field(default_factory=list)


class StarTitle(_Model):
    min_stars: int = Field(ge=0)
    title: str


class Stars(_Model):
    """Star rating (赤峰做法): rated on a full calendar year only; ``rated_kinds`` are the organisation
    kinds rated at all (the others are shown as 不评星)."""

    rated_kinds: list[str] = Field(default_factory=lambda: ["branch"])
    basic: list[BasicStar] = Field(min_length=1)
    feature: FeatureStars
    title: list[StarTitle] = Field(default_factory=list)


# --- the pack ------------------------------------------------------------------------------


class Timeliness(_Model):
    """A record is timely when entered at most ``days_after`` days after the meeting."""

    days_after: int = Field(ge=0)


class PackInfo(_Model):
    id: str
    name: str
    version: str
    issuer: str = ""
    description: str = ""


class FeeBand(_Model):
    """One income band: up to ``up_to_fen`` (inclusive; omitted on the last band) pays ``basis_points``."""

    up_to_fen: int | None = Field(default=None, ge=0)
    basis_points: int = Field(ge=0, le=10_000)  # 50 = 0.5 %


class Fees(_Model):
    """党费 rates (《关于中国共产党党费收缴、使用和管理的规定》): bands by after-tax monthly income for
    salaried and retired members, fixed monthly amounts (fen) for the others; all integers, no floats."""

    salaried: list[FeeBand] = Field(min_length=1)
    retired: list[FeeBand] = Field(min_length=1)
    fixed_fen: dict[str, int] = Field(default_factory=dict)
    advance_months: int = Field(default=6, ge=0, le=12)


class Pack(_Model):
    pack: PackInfo
    timeliness: Timeliness
    fees: Fees | None = None  # absent: the national defaults in services/fees.py
    evidence: list[Evidence] = Field(default_factory=list)
    standard: list[Standard] = Field(min_length=1)
    ledger: list[Ledger] = Field(min_length=1)
    rule: list[Rule] = Field(min_length=1)
    stars: Stars

    # Derived look-ups (not part of the file). The pack is frozen, so the norm table is built once: a
    # township check asks for it once per finding.
    # Keyed by the standard list itself: a model_copy(update={"standard": …}) gets a fresh table.
    _norms: tuple[object, dict[str, tuple[Standard, Norm]]] | None = PrivateAttr(default=None)

    def norms(self) -> dict[str, tuple[Standard, Norm]]:
        if self._norms is None or self._norms[0] is not self.standard:
            self._norms = (self.standard, {n.id: (s, n) for s in self.standard for n in s.norm})
        return self._norms[1]

    def rules_by_id(self) -> dict[str, Any]:
        return {r.id: r for r in self.rule}

    def evidence_by_id(self) -> dict[str, Evidence]:
        return {e.id: e for e in self.evidence}

    def ledger_by_id(self) -> dict[str, Ledger]:
        return {lg.id: lg for lg in self.ledger}


# --- loading -------------------------------------------------------------------------------

_TYPE_WORDS = {
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "string_type": "应为文字（加引号）",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "list_type": "应为列表 [...]",
    "dict_type": "应为表 {...}",
    "model_type": "应为表 {...}",
    "missing": "缺少此项",
    "extra_forbidden": "不认识的设置项（拼写错误？）",
    "too_short": "不能为空",
    "string_too_short": "不能为空",
    "greater_than_equal": "数值太小",
    "greater_than": "数值太小",
    "less_than": "数值太大",
}


def _item_name(raw: dict[str, Any], loc: tuple[int | str, ...]) -> str:
    """A human path to the item: 规则“R-01”的 min, 标准“组织设置”的 规范 2 …"""
    words = {"rule": "规则", "standard": "标准", "ledger": "台账", "evidence": "资料", "norm": "规范"}
    parts: list[str] = []
    node: Any = raw
    i = 0
    while i < len(loc):
        key = loc[i]
        if isinstance(key, str) and key in RULE_TYPES and i > 0 and isinstance(loc[i - 1], int):
            i += 1  # pydantic's union branch name, not a key of the file
            continue
        if isinstance(key, str) and i + 1 < len(loc) and isinstance(loc[i + 1], int):
            idx = int(loc[i + 1])
            item = node.get(key, []) if isinstance(node, dict) else []
            elem = item[idx] if isinstance(item, list) and idx < len(item) else {}
            ident = (
                elem.get("id") or elem.get("name") or elem.get("title") if isinstance(elem, dict) else None
            )
            parts.append(
                f"{words.get(key, key)}“{ident}”" if ident else f"第 {idx + 1} 个 {words.get(key, key)}"
            )
            node = elem
            i += 2
            continue
        parts.append(str(key))
        node = node.get(key, {}) if isinstance(node, dict) else {}
        i += 1
    return " → ".join(parts) or "（文件顶层）"


def _describe(raw: dict[str, Any], err: Any) -> str:
    loc = tuple(err["loc"])
    kind = err["type"]
    where = _item_name(raw, loc)
    if kind == "union_tag_invalid":
        tag = err.get("ctx", {}).get("tag", "")
        return f"{where}：未知的规则类型“{tag}”，可用：{'、'.join(RULE_TYPES)}"
    if kind == "union_tag_not_found":
        return f"{where}：缺少规则类型 type（可用：{'、'.join(RULE_TYPES)}）"
    if kind == "literal_error":
        expected = str(err.get("ctx", {}).get("expected", "")).replace("'", "").replace(" or ", ", ")
        expected = "、".join(x.strip() for x in expected.split(","))
        return f"{where}：取值“{err.get('input')}”无效，可选：{expected}"
    word = _TYPE_WORDS.get(kind, err.get("msg", kind))
    shown = err.get("input")
    got = "" if kind in ("missing", "extra_forbidden") or isinstance(shown, dict) else f"（现为“{shown}”）"
    return f"{where}：{word}{got}"


def _check_filter(where: str, source: str | None, flt: dict[str, FilterValue], problems: list[str]) -> None:
    src = sources().get(source or "")
    if src is None:
        return
    for key, value in flt.items():
        if key not in src.filter_fields:
            problems.append(f"{where}：记录“{source}”没有字段“{key}”，可用：{'、'.join(src.filter_fields)}")
            continue
        codes = src.codes(key)
        values = value if isinstance(value, list) else [value]
        if codes is not None:
            for v in values:
                if str(v) not in codes:
                    problems.append(f"{where}：字段 {key} 的取值“{v}”无效，可选：{'、'.join(codes)}")


def _check_source(where: str, source: str, date_field: str | None, problems: list[str]) -> bool:
    src = sources().get(source)
    if src is None:
        problems.append(f"{where}：未知的记录来源“{source}”，可用：{'、'.join(sorted(sources()))}")
        return False
    if date_field is not None and date_field not in src.date_fields():
        problems.append(
            f"{where}：记录“{source}”没有日期字段“{date_field}”，可用：{'、'.join(src.date_fields()) or '无'}"
        )
    return True


def _fee_problems(fees: Fees) -> list[str]:
    """Bands rise and end open; fixed amounts name known categories (others come from the bands)."""
    problems = []
    for name, bands in (("salaried", fees.salaried), ("retired", fees.retired)):
        bounds = [b.up_to_fen for b in bands]
        if bounds[-1] is not None or any(b is None for b in bounds[:-1]):
            problems.append(f"党费 fees.{name}：只有最后一档不写 up_to_fen（上不封顶）")
        elif bounds[:-1] != sorted(set(bounds[:-1])):  # type: ignore[type-var]
            problems.append(f"党费 fees.{name}：各档 up_to_fen 须逐档增大")
    known = {"farmer", "student", "unemployed", "relief"}
    for category in fees.fixed_fen:
        if category not in known:
            problems.append(f"党费 fees.fixed_fen：未知的类别“{category}”，可用：{'、'.join(sorted(known))}")
    missing = known - set(fees.fixed_fen)
    if missing:
        problems.append(f"党费 fees.fixed_fen：缺少类别 {'、'.join(sorted(missing))} 的固定金额")
    return problems


def _cross_check(pack: Pack) -> list[str]:
    problems: list[str] = []
    types = meeting_types()

    def unique(kind: str, ids: list[str]) -> None:
        seen: set[str] = set()
        for i in ids:
            if i in seen:
                problems.append(f"{kind}“{i}”：编号重复")
            seen.add(i)

    unique("标准", [s.id for s in pack.standard])
    unique("规范", [n.id for s in pack.standard for n in s.norm])
    if pack.fees is not None:
        problems.extend(_fee_problems(pack.fees))
    unique("资料", [e.id for e in pack.evidence])
    unique("台账", [lg.id for lg in pack.ledger])
    unique("规则", [r.id for r in pack.rule])
    ledgers = pack.ledger_by_id()
    evidence = pack.evidence_by_id()
    norms = pack.norms()
    rules = pack.rules_by_id()
    for e in pack.evidence:
        where = f"资料“{e.id}”"
        if _check_source(where, e.records, e.date_field, problems):
            _check_filter(where, e.records, e.filter, problems)
    for s in pack.standard:
        if s.ledger not in ledgers:
            problems.append(f"标准“{s.id}”：台账“{s.ledger}”不存在，可用：{'、'.join(ledgers)}")
        for n in s.norm:
            for ev in n.evidence:
                if ev not in evidence:
                    problems.append(f"规范“{n.id}”：资料“{ev}”不存在（请在 [[evidence]] 中声明）")
    for lg in pack.ledger:
        for sec in lg.section:
            where = f"台账“{lg.id}”的“{sec.title}”"
            if sec.listing or not sec.records:
                problems += _listing_problems(where, sec)
                continue
            undeclared = _undeclared(where, sec)
            if undeclared:
                problems += undeclared
                continue
            sec = resolved(sec)
            if not _check_source(where, sec.records, sec.date_field, problems):
                continue
            _check_filter(where, sec.records, sec.filter, problems)
            fields = sources()[sec.records].filter_fields  # own fields and ``parent.field``
            for col in sec.columns:
                if col.field not in fields:
                    problems.append(
                        f"{where}：记录“{sec.records}”没有字段“{col.field}”，可用：{'、'.join(fields)}"
                    )
            if sec.order_by and sec.order_by.lstrip("-") not in fields:
                problems.append(f"{where}：排序字段“{sec.order_by}”不存在，可用：{'、'.join(fields)}")
    for r in pack.rule:
        where = f"规则“{r.id}”"
        if r.norm not in norms:
            problems.append(f"{where}：规范“{r.norm}”不存在")
        allowed = COMMON_PLACEHOLDERS | PLACEHOLDERS[r.type]
        try:
            names = {f for _, f, _, _ in string.Formatter().parse(r.message) if f}
        except ValueError as exc:
            problems.append(f"{where}：提示语格式错误（{exc}），占位符写成 {{branch}}")
            names = set()
        for name in sorted(names - allowed):
            problems.append(
                f"{where}：提示语中的占位符 {{{name}}} 无法填写，可用：{'、'.join(sorted(allowed))}"
            )
        mtypes: list[str] = []
        if isinstance(r, FrequencyRule):
            mtypes = [r.meeting_type]
        elif isinstance(r, QuorumRule | EvidenceRule | DeadlineRule):
            mtypes = list(r.meeting_types)
        for t in mtypes:
            if t not in types:
                problems.append(f"{where}：未知的会议类型“{t}”，可选：{'、'.join(types)}")
        if isinstance(r, CompositionRule):
            need = {"full_members": "min", "committee_required": "threshold", "committee_size": "min"}
            key = need.get(r.check)
            if key and getattr(r, key) is None:
                problems.append(f"{where}：检查 {r.check} 须设置 {key}")
        if isinstance(r, DeadlineRule):
            if r.check == "probation_overdue" and r.months is None:
                problems.append(f"{where}：检查 probation_overdue 须设置 months（预备期月数）")
            if r.check == "late_record" and r.days is None:
                problems.append(f"{where}：检查 late_record 须设置 days（会后几天内录入）")
        if isinstance(r, EvidenceRule):
            meeting_fields = sources()["meeting"].fields
            for f in r.fields:
                if f not in meeting_fields:
                    problems.append(f"{where}：会议记录没有字段“{f}”")
        if isinstance(r, CountRule) and _check_source(where, r.records, r.date_field, problems):
            fields = sources()[r.records].filter_fields
            for f in [*r.filled, *([r.month_field] if r.month_field else [])]:
                if f not in fields:
                    problems.append(f"{where}：记录“{r.records}”没有字段“{f}”")
            if r.known_by is not None and r.known_by not in sources()[r.records].date_fields():
                problems.append(f"{where}：known_by“{r.known_by}”不是记录“{r.records}”的日期字段")
            _check_filter(where, r.records, r.filter, problems)
            _check_filter(where, r.records, r.numerator, problems)
            if r.min is None and r.max is None:
                problems.append(f"{where}：须设置 min 或 max")
        if isinstance(r, TermRule):
            codes = list(LABELS["BranchDomain"])
            for d in r.years_by_domain:
                if d not in codes:
                    problems.append(f"{where}：未知的领域“{d}”，可选：{'、'.join(codes)}")
        if r.when:
            for d in r.when.domains or []:
                if d not in LABELS["BranchDomain"]:
                    problems.append(f"{where}：when.domains 中未知的领域“{d}”")
            for k in [*(r.when.kinds or []), *(r.when.outside_parent_kinds or [])]:
                if k not in LABELS["BranchKind"]:
                    problems.append(f"{where}：when.kinds 中未知的组织类别“{k}”")
    for b in pack.stars.basic:
        for rid in b.veto_rules:
            if rid not in rules:
                problems.append(f"星级“{b.name}”：否决规则“{rid}”不存在")
    feature = pack.stars.feature
    scored: list[ScoreItem | Highlight] = [*feature.task, *feature.highlight]
    for item in scored:
        for rid in item.rules:
            if rid not in rules:
                problems.append(f"评分项“{item.name}”：规则“{rid}”不存在")
    for task in feature.task:
        for d in task.domains or []:
            if d not in LABELS["BranchDomain"]:
                problems.append(f"评分项“{task.name}”：未知的领域“{d}”")
    for h in feature.highlight:
        if h.evidence not in evidence:
            problems.append(f"亮点“{h.name}”：资料“{h.evidence}”不存在（请在 [[evidence]] 中声明）")
    if feature.task:
        for d, word in LABELS["BranchDomain"].items():
            total = sum(t.points for t in feature.task if t.domains is None or d in t.domains)
            if total != feature.task_total:
                problems.append(
                    f"星级评分：{word}领域的任务合计 {total} 分，应为 {feature.task_total} 分"
                    "（每个领域按本领域任务计分）"
                )
    for k in pack.stars.rated_kinds:
        if k not in LABELS["BranchKind"]:
            problems.append(f"星级 rated_kinds：未知的组织类别“{k}”")
    return problems


def _undeclared(where: str, sec: LedgerSection) -> list[str]:
    """The names of a ``records`` section on a declared ledger's table that are not its declared column
    keys (nor a table field a declared column reads, as older packs wrote): one problem each, naming
    the section, the name and the keys it may use."""
    keys = declared_keys(sec.records)
    if keys is None:
        return []
    names = [c.field for c in sec.columns] + list(sec.filter)
    names += [n for n in (sec.date_field, sec.order_by) if n]
    return [
        f"{where}：“{sec.records}”是程序中声明的台账，“{n.lstrip('-')}”不是它的列，可用：{'、'.join(keys)}"
        for n in dict.fromkeys(names)
        if section_field(sec.records, n) is None
    ]


def resolved(sec: LedgerSection) -> LedgerSection:
    """A ``records`` section with every declared column key turned into the table field it reads
    (``name`` → ``member_id``); unchanged for tables no ledger declares. The section must have passed
    the pack check (``_undeclared`` empty)."""

    def field(name: str) -> str:
        return section_field(sec.records, name) or name

    return sec.model_copy(
        update={
            "columns": [c.model_copy(update={"field": field(c.field)}) for c in sec.columns],
            "filter": {field(k): v for k, v in sec.filter.items()},
            "date_field": field(sec.date_field) if sec.date_field else None,
            "order_by": field(sec.order_by) if sec.order_by else None,
        }
    )


def _listing_problems(where: str, sec: LedgerSection) -> list[str]:
    """A section naming a declared ledger: it exists, and every column is one of its declared keys."""
    from services.ledgers.catalog import LISTINGS

    if bool(sec.listing) == bool(sec.records):
        return [f"{where}：须写 records（数据表）或 listing（台账声明）二者之一"]
    listing = LISTINGS.get(sec.listing)
    if listing is None:
        return [f"{where}：台账声明“{sec.listing}”不存在，可用：{'、'.join(LISTINGS)}"]
    keys = [c.key for c in listing.columns]
    out = [
        f"{where}：台账“{sec.listing}”没有列“{col.field}”，可用：{'、'.join(keys)}"
        for col in sec.columns
        if col.field not in keys
    ]
    if sec.filter or sec.date_field or sec.order_by:
        out.append(f"{where}：listing 段不用 filter、date_field、order_by（按台账声明的年度和顺序）")
    return out


def parse_pack(text: str, file: str) -> Pack:
    """Parse and validate pack text; raises PackError listing every problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PackError(file, [f"TOML 语法错误：{exc}（请检查引号、括号和等号）"]) from None
    try:
        pack = Pack.model_validate(raw)
    except PydanticError as exc:
        raise PackError(file, [_describe(raw, e) for e in exc.errors()]) from None
    problems = _cross_check(pack)
    if problems:
        raise PackError(file, problems)
    return pack


def load_pack(path: str | Path | None = None) -> Pack:
    path = Path(path) if path else default_pack_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PackError(str(path), ["文件不存在"]) from None
    except UnicodeDecodeError:
        raise PackError(str(path), ["不是 UTF-8 编码的文本文件，请用 UTF-8 保存"]) from None
    except OSError as exc:
        raise PackError(str(path), [f"无法读取：{exc.strerror}"]) from None
    return parse_pack(text, str(path))


class PackHolder:
    """The pack in use. A bad replacement is refused and the last good pack stays in force."""

    def __init__(self, pack: Pack, path: Path | None = None) -> None:
        self.pack = pack
        self.path = path
        self.last_error: PackError | None = None

    @classmethod
    def default(cls) -> PackHolder:
        return cls(load_pack(), default_pack_path())

    @classmethod
    def startup(cls) -> PackHolder:
        """The pack chosen on this computer (``remember``), or the default when none is chosen or the
        chosen file is now bad; then ``last_error`` says why the default is in use."""
        holder = cls.default()
        chosen = chosen_pack_path()
        if chosen is not None and chosen != holder.path:
            holder.reload(chosen)
        return holder

    def remember(self) -> None:
        """Use this pack again at the next start on this computer."""
        from services.sync.fileio import write_atomic

        target = data_dir() / CHOICE_FILE
        if self.path is None or self.path == default_pack_path():
            target.unlink(missing_ok=True)
            return
        write_atomic(target, str(self.path.resolve()).encode("utf-8"))

    def reload(self, path: str | Path | None = None) -> bool:
        """Load ``path`` (or re-read the current file). False, with ``last_error`` set, when it is bad."""
        target = Path(path) if path else self.path
        try:
            pack = load_pack(target)
        except PackError as exc:
            self.last_error = exc
            return False
        self.pack, self.path, self.last_error = pack, target, None
        return True


def pack_in_use() -> Pack:
    """The pack chosen on this computer (工具 → 载入手册包, ``handbook use``), as the check uses it; the
    default pack when none is chosen or the chosen file is now bad. Raises PackError only when even the
    default pack cannot be read."""
    return PackHolder.startup().pack
