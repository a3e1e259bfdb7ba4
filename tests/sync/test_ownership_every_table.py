"""Ownership of every synced table: no township's package can add, move, change or delete another
township's rows through any reference — enumerated from the models, so a table or reference column
added later is attacked (and must have an ownership rule) without touching this file."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Integer, String, select

import models
from models import Base, Meeting, Member, Township
from services.db import Database
from services.sync.errors import PackageRejected
from services.sync.ownership import ROOT, references
from services.sync.package import read_package
from services.sync.receiver import import_package
from services.sync.tables import synced_tables, table_by_name
from tests.sync.conftest import Town, content, craft, snapshot

# Tables kept on each machine and never synced, each for a reason (a new table must be added here
# on purpose, or be a ``Tracked`` model and so synced with an ownership path).
LOCAL_TABLES = {
    "audit_head": "本机操作日志的链尾",
    "audit_log": "本机操作日志（县里另有自己的日志）",
    "change_counter": "本机更改编号",
    "county_item": "乡镇收到的县级通知、规则包、裁决",
    "county_outbox": "县里发出的条目",
    "db_meta": "本机设置与同步状态",
    "sync_conflict": "县里的冲突记录",
    "sync_device": "县里的设备流",
    "sync_enrollment": "县里的设备登记",
    "sync_held": "县里暂存的包",
    "sync_received": "县里收到的包",
    "user_account": "本机账户（口令不出本机）",
}
# Columns of synced tables that look like references but name no row (codes of the handbook pack,
# ID-card numbers …); anything else ending in ``_id`` or shaped like a row id must be a reference.
NOT_REFERENCES = {
    ("finding_explanation", "rule_id"): "规则包中的规则编号",
    ("rectification", "rule_id"): "规则包中的规则编号",
}
ROW_ID_LENGTH = 36


def _reference_like(table: Any) -> list[str]:
    out = []
    for c in table.columns:
        if c.name == "id" or (table.name, c.name) in NOT_REFERENCES:
            continue
        if c.name.endswith("_id") or (isinstance(c.type, String) and c.type.length == ROW_ID_LENGTH):
            out.append(c.name)
    return out


def test_every_table_is_synced_with_a_path_to_its_township_or_deliberately_local() -> None:
    assert models.__all__
    synced = table_by_name()
    unexplained = sorted(set(Base.metadata.tables) - set(synced) - set(LOCAL_TABLES))
    assert not unexplained, f"tables neither synced nor listed as local: {unexplained}"
    assert not set(synced) & set(LOCAL_TABLES)
    problems: list[str] = []
    leads_to: dict[str, set[str]] = {}
    for table in synced_tables():
        refs = references(table)
        declared = {col for col, _t in refs} | ({"owner_type"} if any(t is None for _c, t in refs) else set())
        for col in _reference_like(table):
            if col not in declared:
                problems.append(f"{table.name}.{col} looks like a reference but has no ownership rule")
        for fk in table.foreign_keys:
            if fk.column.table.name not in synced or fk.column.name != "id":
                problems.append(f"{table.name}.{fk.parent.name} refers to {fk.column} (not a synced row id)")
        if table.name != ROOT and not refs:
            problems.append(f"{table.name} has no reference leading to a township")
        if table.name != ROOT and all(table.c[col].nullable for col, _t in refs):
            # a row with every reference empty would lead nowhere: refused as of no township
            problems.append(f"{table.name} has no required reference (a row could belong to no township)")
        leads_to[table.name] = {t or "*" for _c, t in refs}
    # every synced table reaches the township through its references (polymorphic: any table)
    reach = {ROOT}
    grew = True
    while grew:
        grew = False
        for name, targets in leads_to.items():
            if name not in reach and (targets & reach or "*" in targets):
                reach.add(name)
                grew = True
    problems += [f"{n} cannot reach the township" for n in sorted(set(leads_to) - reach)]
    assert not problems, "\n".join(problems)


# --- attacks with a genuine enrolled key ---------------------------------------------------------


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def _stamps(row: dict[str, Any]) -> dict[str, Any]:
    keep = ("created_at", "updated_at", "created_by", "updated_by")
    return {k: row[k] for k in keep} | {"deleted": False, "deleted_at": None}


def _extra_rows(rows: dict[str, list[dict[str, Any]]], tag: str) -> dict[str, list[dict[str, Any]]]:
    """Rows of the tables the demo leaves empty, for one township (its own parents only)."""
    meeting, member, branch = rows["meeting"][0], rows["member"][0], rows["branch"][0]
    group = rows["party_group"][0]
    base = _stamps(meeting)

    def rid(n: int) -> str:
        return f"{tag}{n:04d}-0000-4000-8000-000000000000"[:36]

    return {
        "attachment": [
            base
            | {
                "id": rid(1),
                "owner_type": "meeting",
                "owner_id": meeting["id"],
                "kind": "photo",
                "sha256": hashlib.sha256(PNG).hexdigest(),
                "filename": "会议.png",
                "mime": "image/png",
                "size": len(PNG),
                "caption": "",
            }
        ],
        "evidence_filing": [
            base
            | {
                "id": rid(2),
                "branch_id": branch["id"],
                "catalog_item": "minutes",
                "year": 2026,
                "title": "会议记录",
                "attachment_id": rid(1),
                "filed_on": "2026-06-01",
            }
        ],
        "finding_explanation": [
            base
            | {
                "id": rid(3),
                "finding_key": f"R1|{branch['id']}|2026",
                "rule_id": "R1",
                "branch_id": branch["id"],
                "period": "2026",
                "text": "已说明",
            }
        ],
        "weak_branch_flag": [
            base
            | {
                "id": rid(4),
                "branch_id": branch["id"],
                "flagged_on": "2026-03-01",
                "reason": "整顿",
                "closed_on": None,
                "closing_notes": "",
            }
        ],
        "meeting_guest": [
            base | {"id": rid(5), "meeting_id": meeting["id"], "name": "列席人", "unit": "", "sort_order": 0}
        ],
        "meeting_exclusion": [
            base
            | {
                "id": rid(6),
                "meeting_id": meeting["id"],
                "member_id": member["id"],
                "ground": "abroad",
                "note": "",
            }
        ],
        "party_group_membership": [
            base
            | {
                "id": rid(7),
                "member_id": member["id"],
                "party_group_id": group["id"],
                "start_on": None,
                "end_on": None,
            }
        ],
    }


class Sender:
    """A township that sends crafted packages, validly signed with its enrolled key."""

    def __init__(self, town: Town, county: Database, usb: Path) -> None:
        self.town, self.county, self.usb = town, county, usb
        folder = usb / town.code
        folder.mkdir()
        pkg = town.export(folder, full=True)
        assert import_package(county, pkg.path).status == "imported"
        self.opened = read_package(pkg.path)
        self.rows = {t: self.opened.dicts(t) for t in self.opened.rows}
        self.seq = self.opened.manifest.seq_to
        self.n = 0

    def package(self, rows: dict[str, list[dict[str, Any]]], blobs: dict[str, bytes] | None = None) -> Path:
        self.n += 1
        lo = self.seq + 1
        for table_rows in rows.values():
            for r in table_rows:
                r["row_seq"] = lo
        self.opened.blobs = dict(blobs or {})

        def edit(m: Any) -> None:
            m.seq_from, m.seq_to = lo, lo + 1
            m.full = False
            m.attachments = sorted(self.opened.blobs)
            m.missing_attachments = []

        return craft(
            self.opened, self.usb / f"{self.town.code}-{self.n}.ltpkg", self.town.key, rows=rows, edit=edit
        )

    def send(self, rows: dict[str, list[dict[str, Any]]], blobs: dict[str, bytes] | None = None) -> str:
        """A package the county must accept; the stream moves on."""
        result = import_package(self.county, self.package(rows, blobs))
        assert result.status == "imported", result.message
        self.seq += 2
        return result.status


@pytest.fixture
def pair(make_town, county: Database, usb: Path) -> tuple[Sender, Sender]:
    a = Sender(make_town("T01", seed=1).enroll(county), county, usb)
    b = Sender(make_town("T02", seed=2).enroll(county), county, usb)
    png = {hashlib.sha256(PNG).hexdigest(): PNG}
    for side, tag in ((a, "a1a1"), (b, "b2b2")):  # every table has rows of both townships
        extra = _extra_rows(side.rows, tag)
        side.send({k: [dict(r) for r in v] for k, v in extra.items()}, png)
        side.rows.update(extra)
    return a, b


def _targets(a: Sender, table: str | None) -> list[tuple[str, str]]:
    """(table, id) of T01 rows ``table`` may point at (polymorphic: a row of every table)."""
    kinds = [table] if table is not None else [t.name for t in synced_tables()]
    return [(kind, a.rows[kind][0]["id"]) for kind in kinds]


def test_no_reference_of_any_table_can_point_a_row_at_another_township(
    pair: tuple[Sender, Sender], county: Database
) -> None:
    a, b = pair
    before = content(county)
    missed: list[str] = []
    attacks = 0
    for table in synced_tables():
        for col, target in references(table):
            if table.name == ROOT:
                continue
            rows = (b.rows[table.name][0], b.rows[table.name][-1])
            for row, (kind, foreign) in ((r, t) for r in rows for t in _targets(a, target)):
                bad = dict(row) | {col: foreign}
                if target is None:
                    bad["owner_type"] = kind
                attacks += 1
                snap = snapshot(county)
                try:
                    import_package(county, b.package({table.name: [bad]}))
                except PackageRejected as exc:
                    if not any(w in exc.message for w in ("不属于本乡镇", "属于另一个乡镇", "属于其他乡镇")):
                        missed.append(f"{table.name}.{col}: refused for another reason: {exc.message}")
                else:
                    missed.append(f"{table.name}.{col} → {kind} of T01 accepted")
                assert snapshot(county) == snap
    assert attacks > 100
    assert not missed, "\n".join(missed)
    assert content(county) == before


def test_no_row_of_another_township_can_be_changed_or_deleted_whatever_its_table(
    pair: tuple[Sender, Sender], county: Database
) -> None:
    a, b = pair
    before = content(county)
    missed: list[str] = []
    for table in synced_tables():
        theirs = dict(content(county)[table.name][a.rows[table.name][0]["id"]])
        for change in ({"deleted": True, "deleted_at": theirs["updated_at"]}, {"updated_by": "T02 的人"}):
            try:
                import_package(county, b.package({table.name: [theirs | change]}))
            except PackageRejected as exc:
                if (
                    "另一个乡镇" not in exc.message
                    and "其他乡镇" not in exc.message
                    and "代码" not in exc.message
                ):
                    missed.append(f"{table.name}: refused for another reason: {exc.message}")
            else:
                missed.append(f"{table.name}: T01's row changed by T02 ({change})")
    assert not missed, "\n".join(missed)
    assert content(county) == before


@pytest.mark.parametrize(
    "attack",
    ["code_of_another", "name_of_another", "second_township", "member_in_new_township"],
)
def test_a_township_cannot_become_or_add_another_township(
    pair: tuple[Sender, Sender], county: Database, attack: str
) -> None:
    a, b = pair
    own = dict(b.rows["township"][0])
    other = a.rows["township"][0]
    rows: dict[str, list[dict[str, Any]]]
    if attack == "code_of_another":
        rows = {"township": [own | {"code": other["code"]}]}
    elif attack == "name_of_another":  # (the demo names every township alike: give T02 its own first)
        assert b.send({"township": [own | {"name": "新名镇"}]}) == "imported"
        rows = {"township": [own | {"name": other["name"]}]}
    elif attack == "second_township":
        rows = {"township": [own | {"id": "c3c3c3c3-0000-4000-8000-000000000000", "code": "T77"}]}
    else:
        fresh = "c4c4c4c4-0000-4000-8000-000000000000"
        member = dict(b.rows["member"][0]) | {
            "id": "c5c5c5c5-0000-4000-8000-000000000000",
            "township_id": fresh,
        }
        rows = {"township": [own | {"id": fresh, "code": "T78"}], "member": [member]}
    before = content(county)
    with pytest.raises(PackageRejected) as info:
        import_package(county, b.package(rows))
    assert "T02" in info.value.message
    assert content(county) == before
    with county.reader() as s:
        assert sorted(s.scalars(select(Township.code))) == ["T01", "T02"]


def test_a_township_may_rename_itself_and_receive_a_member_transferred_from_another(
    pair: tuple[Sender, Sender], county: Database
) -> None:
    """Lawful cross-township facts are not alarms: a new name of its own, and a member who moved
    from T01 (a new record in T02 with the same ID-card number and a transfer naming T01's branch)."""
    a, b = pair
    moved = dict(a.rows["member"][0])
    transfer_in = dict(b.rows["member_transfer"][0])
    newcomer = dict(b.rows["member"][0]) | {
        "id": "d6d6d6d6-0000-4000-8000-000000000000",
        "name": moved["name"],
        "id_number": moved["id_number"],
        "gender": moved["gender"],
        "birth_date": moved["birth_date"],
    }
    rows = {
        "township": [dict(b.rows["township"][0]) | {"name": "新名镇"}],
        "member": [newcomer],
        "member_transfer": [
            transfer_in
            | {
                "id": "d7d7d7d7-0000-4000-8000-000000000000",
                "member_id": newcomer["id"],
                "direction": "in",
                "counterpart": f"T01 {a.rows['branch'][0]['name']}",
            }
        ],
    }
    assert b.send(rows) == "imported"
    with county.reader() as s:
        assert s.get(Member, newcomer["id"]) is not None
        assert s.get(Member, moved["id"]).township_id == a.rows["township"][0]["id"]  # type: ignore[union-attr]
        assert s.get(Meeting, a.rows["meeting"][0]["id"]) is not None


def test_reference_like_columns_are_found_by_shape_not_by_list() -> None:
    """The enumeration above catches an undeclared reference column added to any synced table."""
    from sqlalchemy import Column, MetaData, Table

    probe = Table(
        "probe", MetaData(), Column("id", String(36)), Column("buddy_id", String(36)), Column("n", Integer)
    )
    assert _reference_like(probe) == ["buddy_id"]


def test_a_group_leader_cannot_be_a_member_of_another_township(
    pair: tuple[Sender, Sender], county: Database
) -> None:
    """``party_group.leader_id`` has no foreign key (it would close a cycle), yet it is a reference:
    a T02 group led by a T01 member would show T01's member on T02's screens."""
    a, b = pair
    group = dict(b.rows["party_group"][0]) | {"leader_id": a.rows["member"][0]["id"]}
    before = content(county)
    with pytest.raises(PackageRejected, match="leader_id") as info:
        import_package(county, b.package({"party_group": [group]}))
    assert "不属于本乡镇" in info.value.message
    assert content(county) == before
    own = dict(b.rows["party_group"][0]) | {"leader_id": b.rows["member"][0]["id"]}
    assert b.send({"party_group": [own]}) == "imported"
