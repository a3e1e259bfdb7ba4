"""Short record ids on the command line: the first 8 or more characters of a UUID stand for the record.

Every command prints ids shortened to :data:`SHORT` characters (``short_id``); wherever a command takes
an id (a positional or option named ``id`` or ``…_id``), :func:`expand_short_ids` replaces a unique
prefix with the full id before the command runs, and refuses a prefix two records share. Where the id
is a member's (``member_id``, ``talker_id``), the member's name works too when no one else has it.
"""

from __future__ import annotations

import argparse
import re
from typing import TYPE_CHECKING

from services.errors import ValidationError

if TYPE_CHECKING:
    from services.cli import Context

SHORT = 8  # characters of a UUID shown and accepted (32 bits: a collision is refused, never guessed)
_PREFIX = re.compile(rf"^[0-9a-f][0-9a-f-]{{{SHORT - 1},34}}$")


def short_id(record_id: str) -> str:
    """The first :data:`SHORT` characters of ``record_id`` (a UUID string), as the CLI prints it."""
    return record_id[:SHORT]


def is_prefix(text: str) -> bool:
    """True for 8–35 characters of lowercase hex and hyphens: a shortened UUID, not a full one."""
    return bool(_PREFIX.match(text))


_FULL = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MEMBER_FIELDS = ("member_id", "talker_id")  # arguments naming a member: a name works where it is unique


def _by_name(ctx: Context, field: str, args: argparse.Namespace) -> str | None:
    """The id of the one member (active or not, not deleted) named ``args.<field>``; None when nobody
    has that name. Raises ValidationError(field) when several members share it."""
    from sqlalchemy import select

    from models import Branch, Member

    name = str(getattr(args, field)).strip()
    with ctx.db().reader() as s:
        rows = s.execute(
            select(Member.id, Branch.name)
            .join(Branch, Branch.id == Member.branch_id)
            .where(Member.name == name, Member.deleted.is_(False))
        ).all()
    if len(rows) > 1:
        where = "、".join(sorted({b for _id, b in rows}))
        raise ValidationError(
            field,
            f"有 {len(rows)} 名党员叫「{name}」（{where}），请改用党员编号（member list 最后一列）。",
        )
    return rows[0][0] if rows else None


# Arguments taking several ids (``dev admit --introducers ID ID``).
ID_LISTS = frozenset({"introducers"})


def id_fields(args: argparse.Namespace) -> list[str]:
    """Names of the parsed arguments that carry a record id (``id``, ``meeting_id``, ``member_id`` …, and
    ``row``: the record a ledger command generated from its declaration acts on)."""
    return [
        k for k, v in vars(args).items() if isinstance(v, str) and (k in ("id", "row") or k.endswith("_id"))
    ]


def _resolve(ctx: Context, field: str, prefix: str) -> str | None:
    from sqlalchemy import select

    from models import Base

    tables = [
        t
        for t in Base.metadata.sorted_tables
        if "id" in t.c and t.c.id.primary_key and "row_seq" in t.c and t.c.id.type.python_type is str
    ]
    found: list[str] = []
    with ctx.db().reader() as s:
        for table in tables:
            found += s.scalars(select(table.c.id).where(table.c.id.startswith(prefix)).limit(2)).all()
            if len(found) > 1:
                raise ValidationError(
                    field,
                    f"编号 {prefix} 对应不止一条记录，请多写几位（或写完整编号，见 --json 输出中的 id）。",
                )
    return found[0] if found else None


def expand_short_ids(args: argparse.Namespace, ctx: Context) -> None:
    """Replace each id argument given as a unique prefix (:func:`is_prefix`, case ignored) with the full
    id of the one record whose id starts with it, in any table (deleted records included, so the
    recycle bin can restore by a short id). Leaves full ids, names and other words untouched; a prefix
    no record has is left as typed (the command then says it was not found).

    Raises ValidationError(field) when two or more records share the prefix."""
    for name in id_fields(args):
        prefix = getattr(args, name).strip().lower()
        if is_prefix(prefix) and (full := _resolve(ctx, name, prefix)):
            setattr(args, name, full)
        elif (
            name.endswith(MEMBER_FIELDS) and not _FULL.match(prefix) and (found := _by_name(ctx, name, args))
        ):
            setattr(args, name, found)
    for name in ID_LISTS & vars(args).keys():
        values = getattr(args, name)
        if isinstance(values, list):
            setattr(
                args,
                name,
                [
                    (_resolve(ctx, name, v.strip().lower()) or v) if is_prefix(v.strip().lower()) else v
                    for v in values
                    if isinstance(v, str)
                ],
            )
