"""Text cleaning: what enters the app is something every output can hold; what leaves it is defended.

Two policies, declared once and applied to every text column of every synced table (``install``, called
by ``services/db.py``) and to every input that is checked before it is stored (``clean_free`` /
``clean_key``):

- **free text** (minutes, notes, places, reasons …): line breaks of every kind become ``\\n`` (a Word
  line break U+000B arrives from Excel as ``_x000B_``), a tab stays, other control characters, lone
  surrogates, non-characters and the invisible BOM / zero-width space are removed. Nothing else is
  touched: full-width punctuation (``：``, ``，``) stays as typed.
- **identifying text** (names, ID numbers, codes, phone numbers, receipt numbers): as free text, then
  every invisible format character is removed (zero-width joiners, direction marks, soft hyphen),
  NFKC (full-width letters and digits become ASCII, U+3000 a space) except for CJK compatibility
  ideographs, which NFKC would replace by a different character of a person's name; line breaks and
  runs of spaces become one space, ends trimmed; in person names spaces next to Chinese characters go
  and the middle-dot variants of minority names (•, ・, ･, ‧, ∙, ⋅, ．) become the one the national
  standard uses, U+00B7 ``·``.

``for_output`` is the exit defence for data stored before cleaning existed (or written by a tool that
bypasses the ORM): it removes what XML (xlsx, PDF text) and UTF-8 cannot carry.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable
from typing import Any, TypeVar

from services.errors import ValidationError

T = TypeVar("T")

# Line breaks of every kind → "\n" (CRLF first so it becomes one break).
_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# Removed from all text: C0 controls except tab/newline, DEL, C1 controls, lone surrogates,
# non-characters, BOM / zero-width no-break space, zero-width space, word joiner.
_DROP = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f\x80-\x84\x86-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff\ufeff\u200b\u2060]"
)
# Non-characters in the supplementary planes (U+1FFFE, U+1FFFF, …).
_DROP_ASTRAL = re.compile("[\U0001fffe\U0001ffff\U0002fffe\U0002ffff\U0010fffe\U0010ffff]")
_NEEDS_FREE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff\ufeff\u200b\u2060\u2028\u2029]"
)
# Unicode's format characters (category Cf), all invisible: soft hyphen, Arabic marks, Mongolian vowel
# separator, zero-width and direction marks, word joiners, BOM, interlinear annotation, tags.
_FORMAT = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)
# Anything that makes identifying text take the slow path (controls, format characters, whitespace
# other than a single space, name dots, OOXML escapes).
_KEY_SUSPECT = re.compile(
    "[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff\u00ad\u0600-\u0605\u061c\u06dd"
    "\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
    "\ufff9-\ufffb\u2028\u2029\u3000\u00a0.．\u2022\u2027\u2219\u22c5\u30fb\uff65\u0387\u2e31"
    "\ua78f\u16eb\u00b7]|  |_x|\\s(?! )(?<! )|^\\s|\\s$|[^\x00-\x7f] | [^\x00-\x7f]"
)
# Kept through NFKC: CJK compatibility ideographs (NFKC would put another character into a person's
# name) and the full-width brackets and punctuation of Chinese names (“二村党支部（社区）” is the
# official name; NFKC would make it “二村党支部(社区)”).
_CJK_COMPAT = re.compile("([\uf900-\ufaff\U0002f800-\U0002fa1f（）［］｛｝，：；！？]+)")
_SPACES = re.compile(r"\s+")
# CJK unified ideographs (basic block and extension A): NFKC leaves them as they are, and a text made
# only of them has no space, dot or invisible character to clean (compatibility ideographs excluded).
_PLAIN_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]+")
# Middle-dot variants seen in minority names (typed on phones, copied from Japanese IMEs, Word bullets).
_MIDDLE_DOTS = re.compile("[\u2022\u2027\u2219\u22c5\u30fb\uff65\u0387\u2e31\ua78f\u16eb\u00b7]")
_DOT_BETWEEN_NAMES = re.compile(r"(?<=[^\x00-\x7f])\s*[.．]\s*(?=[^\x00-\x7f])")
MIDDLE_DOT = "\u00b7"
_SPACE_NEAR_CJK = re.compile(r"(?<=[^\x00-\x7f]) | (?=[^\x00-\x7f])")

FREE = "free"
KEY = "key"
PERSON = "person"  # identifying text that is a person's name (middle dots unified)

# Which columns hold identifying text, by column name (the same name means the same thing in every
# table); every other String/Text column of a synced table is free text.
PERSON_COLUMNS = frozenset({"name", "host", "recorder", "lecturer", "responsible", "display_name"})
KEY_COLUMNS = frozenset(
    {"id_number", "phone", "code", "receipt_no", "voucher_no", "letter_no", "ethnicity", "username"}
)
# How a column is named in a message when its text is refused (the CLI has no field to point at).
FIELD_LABELS = {
    "name": "姓名",
    "id_number": "身份证号",
    "phone": "联系电话",
    "ethnicity": "民族",
    "notes": "备注",
    "place": "地点",
    "host": "主持人",
    "recorder": "记录人",
    "lecturer": "授课人",
    "reason": "原因",
    "title": "标题",
    "caption": "说明",
    "filename": "文件名",
    "counterpart": "对方党组织",
    "destination": "外出地点",
    "contact": "联系方式",
    "organizer": "组织单位",
    "category": "类别",
    "description": "说明",
    "responsible": "责任人",
    "receipt_no": "收据号",
    "voucher_no": "凭证号",
    "letter_no": "介绍信编号",
    "code": "代码",
}

# Columns the app itself fills (keys, codes of enums, hashes) are left alone.
_SKIPPED = frozenset({"id", "created_by", "updated_by", "sha256", "password_hash"})


# OOXML's escape of a control character (``_x000B_`` for a Word line break) as some readers hand it
# over: taken to mean the character on every entry path, so a value round-trips through Excel.
_CONTROL_ESCAPE = re.compile(r"_x(00[01][0-9A-Fa-f])_")


def _free(text: str) -> str:
    if "_x" in text:
        text = _CONTROL_ESCAPE.sub(lambda m: chr(int(m[1], 16)), text)
    text = _BREAKS.sub("\n", text)
    text = _DROP.sub("", text)
    return _DROP_ASTRAL.sub("", text) if not text.isascii() else text


def clean_free(text: str) -> str:
    """Free text (minutes, notes, reasons): line breaks unified to ``\\n``, tab kept, control characters,
    lone surrogates, non-characters, BOM and zero-width space removed; nothing else changes."""
    if "_x" not in text and text.isascii() and text.isprintable():
        return text
    if "_x" not in text and not _NEEDS_FREE.search(text) and not _DROP_ASTRAL.search(text):
        return text
    return _free(text)


def is_clean_free(texts: Iterable[str]) -> bool:
    """True when ``clean_free`` leaves every one of ``texts`` as it is, found by one regex pass over
    them all (in C; a bulk reader then cleans none of them one by one). False says only that some
    may change."""
    joined = "\n".join(texts)  # "\n" is kept by free text and matched by none of these patterns
    return "_x" not in joined and not _NEEDS_FREE.search(joined) and not _DROP_ASTRAL.search(joined)


def _nfkc(text: str) -> str:
    if unicodedata.is_normalized("NFKC", text):
        return text
    if not _CJK_COMPAT.search(text):
        return unicodedata.normalize("NFKC", text)
    parts = _CJK_COMPAT.split(text)  # odd items are compatibility ideographs: kept as they are
    return "".join(p if i % 2 else unicodedata.normalize("NFKC", p) for i, p in enumerate(parts))


def is_plain_key(text: str) -> bool:
    """Whether ``text`` is ASCII letters and digits only, or CJK ideographs only: identifying text
    that ``clean_key`` (either policy) and ``cell_text`` leave exactly as it is (most names, ID
    numbers and phone numbers), so a bulk reader may skip cleaning it."""
    return text.isalnum() and (text.isascii() or _PLAIN_CJK.fullmatch(text) is not None)


def clean_key(text: str, *, person: bool = False) -> str:
    """Identifying text (names, ID numbers, codes, phones): free-text cleaning, invisible format
    characters removed, NFKC (not for CJK compatibility ideographs nor the full-width brackets and
    punctuation of Chinese names), whitespace collapsed to one space
    and trimmed; with ``person`` the middle-dot variants of minority names become U+00B7.

    Idempotent: a stored value cleaned again is unchanged (removing a space can bring a combining
    mark next to its letter, which NFKC then composes, so the steps repeat until nothing changes)."""
    if text.isalnum() and (text.isascii() or _PLAIN_CJK.fullmatch(text)):  # is_plain_key, inlined
        return text  # ASCII letters and digits (ID numbers, phones), or only CJK ideographs (most names)
    if not _KEY_SUSPECT.search(text) and (text.isascii() or unicodedata.is_normalized("NFKC", text)):
        return text  # the common case: nothing to change (checked in C, no per-character loop)
    for _ in range(5):
        cleaned = _clean_key_once(text, person)
        if cleaned == text:
            break
        text = cleaned
    return text


def _clean_key_once(text: str, person: bool) -> str:
    text = _free(text)
    text = _FORMAT.sub("", text)
    text = _nfkc(text)
    text = _SPACES.sub(" ", text).strip()
    if person:
        text = _DOT_BETWEEN_NAMES.sub(MIDDLE_DOT, text)
        text = _MIDDLE_DOTS.sub(MIDDLE_DOT, text)
        text = re.sub(r"\s*·\s*", MIDDLE_DOT, text)
        # Chinese names carry no spaces (stray ones come from copy and paste); a Latin name keeps one
        # space between its words.
        text = _SPACE_NEAR_CJK.sub("", text)
    return text


def has_format_characters(text: str) -> bool:
    """Whether ``text`` holds invisible format characters (zero-width space, BOM, direction marks …)."""
    return _FORMAT.search(text) is not None


def clean(text: str, policy: str = FREE) -> str:
    """``text`` cleaned by ``policy`` (``FREE``, ``KEY`` or ``PERSON``)."""
    if policy == FREE:
        return clean_free(text)
    return clean_key(text, person=policy == PERSON)


def policy_for(column: str) -> str | None:
    """The cleaning policy of a column by its name; None for the app's own columns."""
    if column in _SKIPPED or column.endswith("_id"):
        return None
    if column in PERSON_COLUMNS:
        return PERSON
    if column in KEY_COLUMNS:
        return KEY
    return FREE


_NAMES = {
    "\n": "换行",
    "\t": "制表符",
    "\ufeff": "BOM 标记",
    "\u200b": "零宽空格",
    "\u200c": "零宽非连接符",
    "\u200d": "零宽连接符",
    "\u2060": "零宽不换行符",
    "\u00ad": "软连字符",
    "\u3000": "全角空格",
}


def _describe(ch: str) -> str:
    if ch in _NAMES:
        return _NAMES[ch]
    code = f"U+{ord(ch):04X}"
    if ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F:
        return f"控制字符 {code}"
    if 0xD800 <= ord(ch) <= 0xDFFF:
        return f"无效字符 {code}"
    if unicodedata.category(ch) == "Cf":
        return f"不可见字符 {code}"
    return f"“{ch}”（{code}）"


def explain(original: str, cleaned: str) -> str:
    """A Chinese note saying what cleaning removed or replaced, or "" when nothing changed (for the
    import preview)."""
    if original == cleaned:
        return ""
    kept = set(cleaned)
    gone = sorted({ch for ch in original if ch not in kept}, key=ord)
    breaks = "\r" in original or "\x0b" in original or "\u2028" in original or "\x0c" in original
    parts = []
    if breaks:
        parts.append("换行符统一为普通换行")
    described = [_describe(ch) for ch in gone if ch not in "\r\x0b\x0c\u2028\u2029"]
    if described:
        parts.append("已移除或替换：" + "、".join(described[:6]) + ("等" if len(described) > 6 else ""))
    if not parts:
        parts.append("已规范化（全角字母数字、空格或间隔号统一）")
    return "；".join(parts) + "。"


def cleaned_input(obj: T) -> T:
    """A copy of an input dataclass (``MemberInput``, ``MeetingInput`` …) whose str fields are cleaned
    by the policy their names imply, so validation sees what will be stored."""
    changes: dict[str, object] = {}
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        policy = policy_for(f.name)
        if isinstance(value, str) and policy is not None:
            new = clean(value, policy)
            if new != value:
                changes[f.name] = new
    return dataclasses.replace(obj, **changes) if changes else obj  # type: ignore[type-var]


# --- exit defence --------------------------------------------------------------------------------

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def for_output(text: str) -> str:
    """Text safe for XML (xlsx, PDF) and UTF-8 (JSON, sync): what they cannot carry is removed,
    ``\\r\\n``/``\\r`` become ``\\n``. Stored text that was cleaned on entry passes unchanged."""
    if text.isascii() and text.isprintable():
        return text
    if "\r" in text or "\x0b" in text or "\x0c" in text:
        text = _BREAKS.sub("\n", text)
    return _XML_ILLEGAL.sub("", text)


def output_value(value: object) -> object:
    """``for_output`` applied to strings, other values unchanged (for JSON and table rows)."""
    if isinstance(value, str):
        return for_output(value)
    if isinstance(value, dict):
        return {for_output(str(k)): output_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [output_value(v) for v in value]
    return value


# --- the one place it is applied to stored rows --------------------------------------------------


def install(base: Any, tracked: type) -> None:
    """Listen to every assignment to a String/Text column of every ``tracked`` model mapped on
    ``base`` and store the cleaned value instead (idempotent; called once by ``services/db.py``)."""
    from sqlalchemy import String, event

    if getattr(base, "_textclean_installed", False):
        return
    for mapper in base.registry.mappers:
        cls = mapper.class_
        if not issubclass(cls, tracked):
            continue
        for prop in mapper.column_attrs:
            column = prop.columns[0]
            policy = policy_for(prop.key)
            if policy is None or not isinstance(column.type, String) or column.foreign_keys:
                continue
            length = getattr(column.type, "length", None)
            event.listen(getattr(cls, prop.key), "set", _setter(policy, prop.key, length), retval=True)
    base._textclean_installed = True


def _setter(policy: str, key: str, length: int | None) -> Any:
    def on_set(_target: object, value: object, _old: object, _initiator: object) -> object:
        if not isinstance(value, str):
            return value
        value = clean(value, policy)
        if length is not None and len(value) > length:
            # PostgreSQL would refuse it at commit with a traceback; SQLite would keep what no other
            # copy of the ledger can hold. Say so at the field instead.
            what = FIELD_LABELS.get(key, f"“{key}”")
            raise ValidationError(key, f"{what}过长：{len(value)} 个字，最多 {length} 个字，请删减后再保存。")
        return value

    return on_set
