"""The package manifest: what a package claims to hold, signed by the device that wrote it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from services.sync import anchor as sync_anchor
from services.sync.errors import PackageInvalid

FORMAT = "ltpkg"
FORMAT_VERSION = 2  # 2: generation and lineage (docs/sync-package.md)
HEX64 = re.compile(r"^[0-9a-f]{64}$")
MAX_SEQ = (1 << 63) - 1  # change numbers are BigInteger on both databases


@dataclass
class Manifest:
    schema_revision: str
    app_version: str
    township_code: str
    township_id: str
    township_name: str
    device_id: str
    device_public_key: str  # Ed25519, base64 of the raw 32 bytes
    device_key_id: str
    seq_from: int
    seq_to: int
    full: bool
    created_at: str  # ISO 8601 UTC, "Z"
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {rows, columns}
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)  # path -> {sha256, size}
    attachments: list[str] = field(default_factory=list)
    missing_attachments: list[str] = field(default_factory=list)
    encryption: dict[str, str] | None = None
    format_version: int = FORMAT_VERSION
    audit_anchor: dict[str, Any] | None = None  # services/sync/anchor.py; absent in older packages
    generation: str = ""  # empty only in format-1 packages
    lineage: list[list[Any]] = field(default_factory=list)  # [[generation, fork_seq|None], …] newest first
    # Further signed fields a later format adds (e.g. the audit-chain anchor), kept as they are.
    extensions: dict[str, Any] = field(default_factory=dict)

    @property
    def stream(self) -> str:
        """The county's key for this change-number stream: device id and (the first 16 hex of) generation."""
        return f"{self.device_id}.{self.generation[:16]}" if self.generation else self.device_id

    @property
    def total_rows(self) -> int:
        return sum(int(t["rows"]) for t in self.tables.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": self.format_version,
            "schema_revision": self.schema_revision,
            "app_version": self.app_version,
            "township": {"code": self.township_code, "id": self.township_id, "name": self.township_name},
            "device": {
                "id": self.device_id,
                "public_key": self.device_public_key,
                "key_id": self.device_key_id,
            },
            "seq_from": self.seq_from,
            "seq_to": self.seq_to,
            "kind": "full" if self.full else "incremental",
            "created_at": self.created_at,
            "tables": self.tables,
            "entries": self.entries,
            "attachments": self.attachments,
            "missing_attachments": self.missing_attachments,
            "encryption": self.encryption,
            "generation": self.generation,
            "lineage": self.lineage,
        } | (
            ({"audit_anchor": self.audit_anchor} if self.audit_anchor is not None else {})
            | {k: v for k, v in self.extensions.items() if k not in KNOWN_KEYS}
        )

    def to_bytes(self) -> bytes:
        return canonical(self.to_json())


KNOWN_KEYS = frozenset(
    {
        "format",
        "format_version",
        "schema_revision",
        "app_version",
        "township",
        "device",
        "seq_from",
        "seq_to",
        "kind",
        "created_at",
        "tables",
        "entries",
        "attachments",
        "missing_attachments",
        "encryption",
        "generation",
        "lineage",
        "audit_anchor",
    }
)
HEX32 = re.compile(r"^[0-9a-f]{32}$")


def canonical(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _need(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str = "清单") -> Any:
    value = obj.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise PackageInvalid(f"{where}缺少字段 {key} 或类型不对，文件不是有效的同步包。")
    return value


def peek_version(raw: bytes) -> dict[str, Any]:
    """Parse the manifest JSON just far enough to check it is ours and not from a newer version."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackageInvalid("同步包的清单（manifest.json）已损坏，无法读取。") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise PackageInvalid("这不是支部台账的同步包（清单格式标识不符）。")
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise PackageInvalid("同步包清单缺少格式版本号。")
    if version > FORMAT_VERSION:
        raise PackageInvalid(
            f"此包的格式版本为 {version}，本软件只支持到版本 {FORMAT_VERSION}。请先升级本机的支部台账再导入。"
        )
    if version < 1:
        raise PackageInvalid(f"无效的同步包格式版本：{version}。")
    return data


def parse(data: dict[str, Any]) -> Manifest:
    township = _need(data, "township", dict)
    device = _need(data, "device", dict)
    tables = _need(data, "tables", dict)
    entries = _need(data, "entries", dict)
    kind = _need(data, "kind", str)
    if kind not in ("full", "incremental"):
        raise PackageInvalid(f"清单中的导出类型 {kind} 无效。")
    for name, info in tables.items():
        if not isinstance(info, dict) or not isinstance(info.get("rows"), int):
            raise PackageInvalid(f"清单中表 {name} 的行数无效。")
        columns = info.get("columns")
        if not isinstance(columns, list) or not all(isinstance(c, str) and c.isidentifier() for c in columns):
            raise PackageInvalid(f"清单中表 {name!r:.40} 缺少列名或列名无效。")
    for path, info in entries.items():
        if not isinstance(info, dict) or not HEX64.match(str(info.get("sha256", ""))):
            raise PackageInvalid(f"清单中条目 {path} 的校验值无效。")
        if not isinstance(info.get("size"), int) or info["size"] < 0:
            raise PackageInvalid(f"清单中条目 {path} 的大小无效。")
    encryption = data.get("encryption")
    if encryption is not None and not isinstance(encryption, dict):
        raise PackageInvalid("清单中的加密信息无效。")
    m = Manifest(
        format_version=int(data["format_version"]),
        schema_revision=_need(data, "schema_revision", str),
        app_version=str(data.get("app_version", "")),
        township_code=_need(township, "code", str, "清单的乡镇信息"),
        township_id=_need(township, "id", str, "清单的乡镇信息"),
        township_name=str(township.get("name", "")),
        device_id=_need(device, "id", str, "清单的设备信息"),
        device_public_key=_need(device, "public_key", str, "清单的设备信息"),
        device_key_id=str(device.get("key_id", "")),
        seq_from=_need(data, "seq_from", int),
        seq_to=_need(data, "seq_to", int),
        full=kind == "full",
        created_at=_need(data, "created_at", str),
        tables=tables,
        entries=entries,
        attachments=[str(a) for a in data.get("attachments") or []],
        missing_attachments=[str(a) for a in data.get("missing_attachments") or []],
        encryption={str(k): str(v) for k, v in encryption.items()} if encryption else None,
        audit_anchor=sync_anchor.valid(data.get("audit_anchor")),
    )
    if m.seq_from < 1 or m.seq_to < m.seq_from - 1 or m.seq_to > MAX_SEQ:
        raise PackageInvalid(f"清单中的序号范围 {m.seq_from}–{m.seq_to} 无效。")
    if not HEX32.match(m.device_id):
        raise PackageInvalid("清单中的设备号无效，文件不是有效的同步包。")
    if m.format_version >= 2:
        gen, lineage = data.get("generation"), data.get("lineage")
        if not isinstance(gen, str) or not HEX32.match(gen):
            raise PackageInvalid("清单缺少数据库世代（generation）或格式不对，文件不是有效的同步包。")
        if not _valid_lineage(lineage, gen):
            raise PackageInvalid("清单中的数据库世代历史（lineage）无效，文件不是有效的同步包。")
        m.generation, m.lineage = gen, [list(x) for x in lineage or []]
    m.extensions = {k: v for k, v in data.items() if k not in KNOWN_KEYS}
    return m


def _valid_lineage(lineage: Any, gen: str) -> bool:
    if not isinstance(lineage, list) or not lineage or len(lineage) > 64:
        return False
    for i, item in enumerate(lineage):
        if not isinstance(item, list) or len(item) != 2 or not isinstance(item[0], str):
            return False
        if not HEX32.match(item[0]):
            return False
        fork = item[1]
        if i == 0:
            if item[0] != gen or fork is not None:
                return False
        elif not isinstance(fork, int) or isinstance(fork, bool) or fork < 0:
            return False
    return True
