"""Re-base: a township laptop reinstalled without a backup adopts the county's township record.

Such a laptop starts from an empty database: the clerk creates the township again with the same
code (and the same branches), which gives them new record ids — the county refuses its packages,
since a township code already belongs to the county's record and nothing may quietly re-point it
(fault 3: a stranger's key copying a township code). The way back, see docs/sync-package.md
"Re-base":

1. the county enrolls the new key (``sync device replace 旧指纹 新指纹``, or ``approve --additional``)
   after comparing fingerprints by phone; the key is then marked 待对齐;
2. the county writes a **re-base file** for that key (``write_rebase_file``): the county's township
   row and every branch row of that township, signed by the county's signing key and naming the
   county database, the township code and the laptop's public key;
3. the laptop adopts it (``adopt_rebase_file``, ``sync rebase 文件``): only from the county key it
   pinned (``sync key county-set``), only for its own key and its own township code. Its township
   row and its branches of the same codes take the county's ids and contents (every reference to
   them follows); county branches it lacks are added; everything else it holds (members, meetings,
   …) is kept and goes to the county with its next export.

The county's receiver is unchanged: only a key the county enrolled for that township code can get a
re-base file, and its packages still pass every ownership check against the county's records.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.orm import Session

from models import Branch, Township
from models.base import Base
from services import audit
from services.db import Database, allocate_seq
from services.sync import enrollment, state
from services.sync.crypto import county_key_id, load_county_key, x_public_raw
from services.sync.errors import PackageInvalid, SyncError
from services.sync.exporter import _safe
from services.sync.fileio import write_atomic
from services.sync.keys import pinned_county_fingerprint
from services.sync.manifest import canonical
from services.sync.signing import b64, device_key, key_id, public_raw, sign, unb64, verify
from services.sync.tables import decode_row, encode_row

FORMAT = "ltrebase"
FORMAT_VERSION = 1
SUFFIX = ".ltrebase"
MAX_FILE = 8 << 20  # a township's organisation rows: far below this


class RebaseInvalid(SyncError):
    """A re-base file that is damaged, forged, from another county or meant for another laptop."""


@dataclass
class RebaseFile:
    """A written re-base file (county side): where, for which key and township."""

    path: Path
    key_id: str
    township_code: str
    branches: int

    @property
    def file_name(self) -> str:
        return self.path.name


@dataclass
class RebaseResult:
    """What adopting a re-base file changed on the laptop (``changed`` False: already aligned)."""

    file_name: str
    township_code: str
    changed: bool
    mapped_branches: list[str] = field(default_factory=list)  # codes whose id became the county's
    added_branches: list[str] = field(default_factory=list)  # county branches this laptop lacked
    kept_branches: list[str] = field(default_factory=list)  # only on this laptop: sent as new
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "file_name": self.file_name,
            "township": self.township_code,
            "changed": self.changed,
            "mapped_branches": self.mapped_branches,
            "added_branches": self.added_branches,
            "kept_branches": self.kept_branches,
            "message": self.message,
        }


def write_rebase_file(
    db: Database, fp: str, outdir: Path, *, key: Ed25519PrivateKey | None = None, user: str = ""
) -> RebaseFile:
    """County: write (atomically) and read back the signed re-base file for the enrolled key ``fp``.

    Raises ``SyncError`` (Chinese) when the key is unknown, not enrolled (待登记 keys must be approved
    first, revoked keys never get one), the county holds no township of its code, or the folder
    cannot be written.
    """
    from services.county.mode import require_county

    key = key or device_key()
    outdir = Path(outdir)
    if not outdir.is_dir():
        raise SyncError(f"找不到文件夹 {outdir}（U 盘是否已插好？）。请给出存放对齐文件的文件夹。")
    with db.transaction(user) as s:
        require_county(s, "写出对齐文件")
        row = enrollment._find(s, fp)
        if row.status != "enrolled":
            raise SyncError(
                f"设备 {row.key_id} {enrollment.STATUS.get(row.status, row.status)}，不能给它写对齐文件："
                "只有县里已登记的设备才能对齐到县里的乡镇记录。请先核对指纹后登记（`sync device approve` 或 "
                "`sync device replace`）。"
            )
        t_table, b_table = _t("township"), _t("branch")
        town = s.execute(select(t_table).where(t_table.c.code == row.township_code)).mappings().first()
        if town is None:
            raise SyncError(
                f"县库中还没有乡镇 {row.township_code} 的记录，不需要对齐：请乡镇直接导出同步包交来。"
            )
        branches = (
            s.execute(select(b_table).where(b_table.c.township_id == town["id"]).order_by(b_table.c.code))
            .mappings()
            .all()
        )
        county_key = load_county_key()
        payload: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z",
            "county": {
                "device_id": state.device_id(s),
                "public_key": b64(public_raw(key)),
                "key_id": key_id(public_raw(key)),
                "county_key_id": county_key_id(x_public_raw(county_key)) if county_key is not None else "",
            },
            "device_public_key": row.public_key,
            "device_key_id": row.key_id,
            "township": encode_row(t_table, town),
            "branches": [encode_row(b_table, b) for b in branches],
        }
        audit.record_event(
            s,
            "sync_rebase_file",
            {"key_id": row.key_id, "township": row.township_code, "branches": len(branches)},
        )
    doc = {"rebase": payload, "signature": b64(sign(key, canonical(payload)))}
    path = outdir / f"{_safe(row.township_code)}_{row.key_id[:8]}_rebase{SUFFIX}"
    try:
        write_atomic(path, json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8"))
    except OSError as exc:
        raise SyncError(f"写入对齐文件失败：{exc}。请检查 U 盘是否已满或写保护。") from exc
    if read_rebase_file(path) != payload:
        path.unlink(missing_ok=True)
        raise SyncError("对齐文件写入后读回不一致，已删除。请换一个 U 盘重试。")
    return RebaseFile(path=path, key_id=row.key_id, township_code=row.township_code, branches=len(branches))


def read_rebase_file(path: Path) -> dict[str, Any]:
    """Parse a re-base file and verify its signature (not yet whose key signed it). Raises
    ``RebaseInvalid`` naming the file."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE:
            raise RebaseInvalid(f"{path.name} 过大，不是对齐文件。")
        doc = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise RebaseInvalid(f"无法读取对齐文件 {path}：{exc.strerror}。") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RebaseInvalid(
            f"{path.name} 不是对齐文件，或已损坏。请让县里重新写出（`sync device rebase-file`）。"
        ) from exc
    payload = doc.get("rebase") if isinstance(doc, dict) else None
    if (
        not isinstance(payload, dict)
        or payload.get("format") != FORMAT
        or not isinstance(doc.get("signature"), str)
    ):
        raise RebaseInvalid(
            f"{path.name} 不是对齐文件（县里用 `sync device rebase-file` 写出，扩展名 {SUFFIX}）。"
        )
    if payload.get("format_version") != FORMAT_VERSION:
        raise RebaseInvalid(
            f"对齐文件 {path.name} 的格式版本 {payload.get('format_version')!r} 本软件不支持，请先升级软件。"
        )
    county, town, branches = payload.get("county"), payload.get("township"), payload.get("branches")
    if (
        not isinstance(county, dict)
        or not isinstance(county.get("public_key"), str)
        or not isinstance(county.get("device_id"), str)
        or not isinstance(payload.get("device_public_key"), str)
        or not isinstance(town, dict)
        or not isinstance(town.get("id"), str)
        or not isinstance(town.get("code"), str)
        or not isinstance(branches, list)
        or not all(isinstance(b, dict) and b.get("township_id") == town["id"] for b in branches)
    ):
        raise RebaseInvalid(f"对齐文件 {path.name} 缺少必要的内容，文件已损坏。")
    try:
        verify(county["public_key"], canonical(payload), unb64(doc["signature"], "对齐文件签名"), "对齐文件")
    except PackageInvalid as exc:
        raise RebaseInvalid(f"对齐文件 {path.name}：{exc.message}") from exc
    return payload


def adopt_rebase_file(
    db: Database, path: Path, *, key: Ed25519PrivateKey | None = None, user: str = ""
) -> RebaseResult:
    """Township: take the county's ids for this laptop's township and its branches of the same codes.

    Accepted only when signed by the county signing key pinned here (``sync key county-set``), for the
    county database pinned here, for this laptop's key (``key``, default this machine's device key)
    and for this database's township code, and while nothing of this database has been acknowledged
    by the county. One transaction; audited. Raises ``RebaseInvalid`` (nothing written) otherwise.
    """
    path = Path(path)
    p = read_rebase_file(path)
    key = key or device_key()
    mine = b64(public_raw(key))
    county, town_row = p["county"], p["township"]
    with db.transaction(user) as s:
        from services.county.mode import is_county

        if is_county(s):
            raise RebaseInvalid(
                "这是县级接收数据库：对齐文件是给乡镇电脑用的，请在乡镇电脑上运行 `sync rebase`。"
            )
        pinned_ed = state.get(s, state.COUNTY_ED25519)
        pinned_db = state.get(s, state.COUNTY_DB_ID)
        if not pinned_ed:
            raise RebaseInvalid(
                "本机还没有配置县级公钥，无法确认对齐文件来自县里。请先运行 `sync key county-set 县级公钥文件`，再导入对齐文件。"
            )
        if county["public_key"] != pinned_ed or (pinned_db and county["device_id"] != pinned_db):
            raise RebaseInvalid(
                f"对齐文件 {path.name} 不是本机认可的县级电脑写出的（文件的县级公钥指纹 "
                f"{county.get('county_key_id') or '未知'}，本机认可的是 {pinned_county_fingerprint(s)}），未做任何更改。"
            )
        if p["device_public_key"] != mine:
            raise RebaseInvalid(
                f"对齐文件 {path.name} 是给另一台电脑（密钥指纹 {p.get('device_key_id')}）的，"
                f"本机密钥指纹为 {key_id(public_raw(key))}，未做任何更改。请县里为本机写出对齐文件。"
            )
        local = state.township(s)
        if local.code != town_row["code"]:
            raise RebaseInvalid(
                f"对齐文件 {path.name} 是乡镇 {town_row['code']} 的，本库是乡镇 {local.code}，未做任何更改。"
            )
        result = RebaseResult(file_name=path.name, township_code=local.code, changed=False)
        if local.id == town_row["id"] and _branches_aligned(s, local.id, p["branches"]):
            result.message = f"本库的乡镇 {local.code} 已与县里一致，无需对齐，未做任何更改。"
            return result
        if state.acked_seq(s) > 0:
            raise RebaseInvalid(
                f"本库已有县里确认收到的更改（到第 {state.acked_seq(s)} 号），乡镇记录与县里是同一条，不能再对齐。"
                "请把这份对齐文件和情况告诉县里。"
            )
        _rebase(s, local, town_row, p["branches"], result)
        audit.record_event(
            s,
            "sync_rebase",
            {
                "file": path.name,
                "township": local.code,
                "from": local.id,
                "to": town_row["id"],
                "mapped": result.mapped_branches,
                "added": result.added_branches,
            },
        )
    result.changed = True
    parts = [f"已按县里的对齐文件 {path.name} 对齐乡镇 {result.township_code} 的记录"]
    if result.mapped_branches:
        parts.append(f"支部 {'、'.join(result.mapped_branches)} 已改用县里的记录")
    if result.added_branches:
        parts.append(f"从县里补回支部 {'、'.join(result.added_branches)}")
    if result.kept_branches:
        parts.append(f"县里没有的支部 {'、'.join(result.kept_branches)} 保留，随同步包送县里")
    result.message = (
        "，".join(parts) + "。已录入的党员等记录都保留。请运行 `sync export U盘文件夹` 导出同步包交给县里。"
        "（县里原有的、本机没有的党员等记录仍在县里，本机不会自动取回。）"
    )
    return result


def _branches_aligned(s: Session, township_id: str, branches: list[dict[str, Any]]) -> bool:
    here = {b.code: b.id for b in s.scalars(select(Branch).where(Branch.township_id == township_id))}
    return all(here.get(b["code"]) == b["id"] for b in branches if not b.get("deleted"))


def _fk_columns(target: Table) -> list[tuple[Table, str]]:
    """(table, column) of every foreign key pointing at ``target.id``."""
    out = []
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table is target and fk.column.name == "id":
                out.append((table, fk.parent.name))
    return out


def _rebase(
    s: Session,
    local: Township,
    town_row: dict[str, Any],
    branches: list[dict[str, Any]],
    result: RebaseResult,
) -> None:
    """Insert the county's rows, re-point every reference, then drop the laptop's own copies.

    New parents first, references next, old rows last: no foreign key is ever dangling (SQLite and
    PostgreSQL check them per statement). Rows keep the county's contents (so its first package
    after this shows them unchanged) with new local change numbers.
    """
    t_table, b_table = _t("township"), _t("branch")
    new_town = town_row["id"]
    old_town = local.id
    here = list(s.scalars(select(Branch).where(Branch.township_id == old_town)))
    live = {b.code: b for b in here if not b.deleted}
    by_code = {b.code: b for b in here}
    county_codes = {b["code"] for b in branches}
    branch_map: dict[str, str] = {}
    for b in branches:
        mine = live.get(b["code"]) or by_code.get(b["code"])
        if mine is not None and mine.id != b["id"]:
            branch_map[mine.id] = b["id"]
            result.mapped_branches.append(b["code"])
        elif mine is None and not b.get("deleted"):
            result.added_branches.append(b["code"])
    clash = [
        b.code
        for b in here
        if b.code in county_codes and b.id not in branch_map and b.id not in {x["id"] for x in branches}
    ]
    if clash:
        raise RebaseInvalid(
            f"本库有多条代码相同的支部（{'、'.join(sorted(set(clash)))}），无法与县里的支部一一对应，未做任何更改。请联系技术支持。"
        )
    result.kept_branches = sorted(b.code for b in here if b.code not in county_codes and not b.deleted)
    s.flush()
    s.expunge_all()  # from here on Core statements only: the ORM must not write stale copies back
    count = 1 + len(branches)
    last = allocate_seq(s, count)
    seqs = iter(range(last - count + 1, last + 1))
    if old_town != new_town:
        s.execute(update(t_table).where(t_table.c.id == old_town).values(code=f"~rebase-{old_town[:8]}"))
        s.execute(insert(t_table).values(decode_row(t_table, town_row) | {"row_seq": next(seqs)}))
    else:
        next(seqs)
    existing = set(s.scalars(select(b_table.c.id).where(b_table.c.id.in_([b["id"] for b in branches]))))
    for b in _parents_first(branches):
        if b["id"] in existing:
            continue
        s.execute(insert(b_table).values(decode_row(b_table, b) | {"row_seq": next(seqs)}))
    if old_town != new_town:
        for table, col in _fk_columns(t_table):
            stmt = update(table).where(table.c[col] == old_town)
            if table is b_table:  # the laptop's copies of county branches are dropped below
                stmt = stmt.where(table.c.id.not_in(list(branch_map)))
            s.execute(stmt.values({col: new_town}))
    for old, new in branch_map.items():
        for table, col in _fk_columns(b_table):
            if table is b_table:  # the laptop's own branch rows that stay (their parent may move)
                s.execute(
                    update(table)
                    .where(table.c[col] == old, table.c.id.not_in(list(branch_map)))
                    .values({col: new})
                )
            else:
                s.execute(update(table).where(table.c[col] == old).values({col: new}))
        a = _t("attachment")
        s.execute(update(a).where(a.c.owner_type == "branch", a.c.owner_id == old).values(owner_id=new))
        f = _t("finding_explanation")
        for fid, fkey in s.execute(select(f.c.id, f.c.finding_key).where(f.c.branch_id == new)).all():
            if f"|{old}|" in fkey:
                s.execute(
                    update(f).where(f.c.id == fid).values(finding_key=fkey.replace(f"|{old}|", f"|{new}|"))
                )
    a = _t("attachment")
    if old_town != new_town:
        s.execute(
            update(a).where(a.c.owner_type == "township", a.c.owner_id == old_town).values(owner_id=new_town)
        )
    if branch_map:
        s.execute(delete(b_table).where(b_table.c.id.in_(list(branch_map))))
    if old_town != new_town:
        s.execute(delete(t_table).where(t_table.c.id == old_town))


def _t(name: str) -> Table:
    return Base.metadata.tables[name]


def _parents_first(branches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    pending = {b["id"]: b for b in branches}
    out: list[dict[str, Any]] = []
    while pending:
        ready = [
            b for b in pending.values() if b.get("parent_id") not in pending or b.get("parent_id") == b["id"]
        ]
        if not ready:
            ready = list(pending.values())
        for b in ready:
            out.append(b)
            del pending[b["id"]]
    return out
