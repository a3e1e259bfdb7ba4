"""The package file: a zip of manifest, signature, JSON Lines per table and attachments by hash.

Writing is atomic and signed twice: ``manifest.sig`` signs the manifest (which lists the SHA-256 of
every entry) and the zip comment carries a signature over every byte before it, so one flipped bit
anywhere in the file is caught. Reading never trusts the container: entry names are checked before
anything is read, each entry is inflated by our own streaming reader that stops at the declared
size (zip bombs), and every hash is compared before a single row is handed to the caller.
"""

from __future__ import annotations

import gc
import hashlib
import json
import marshal
import re
import shutil
import struct
import tempfile
import weakref
import zipfile
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter, setitem
from pathlib import Path
from typing import Any, BinaryIO

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from services.sync import manifest as mf
from services.sync.crypto import Sealer, open_sealer
from services.sync.errors import PackageInvalid, SyncError
from services.sync.fileio import atomic_file
from services.sync.signing import b64, key_id, sign, unb64, verify

SUFFIX = ".ltpkg"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
SIG_PREFIX = b"LTPKG1-SIG:"
COMMENT_LEN = len(SIG_PREFIX) + 88  # base64 of a 64-byte Ed25519 signature
FILE_SIG_CONTEXT = b"ltpkg/1 file\n"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so the same content gives the same bytes

MAX_PACKAGE = 8 << 30
COMPRESS_LEVEL = 1  # JSON shrinks ~8x even at level 1; higher levels cost seconds per township
MAX_ENTRY = 2 << 30
MAX_MANIFEST = 16 << 20
MAX_RATIO = 200  # deflate rarely beats 1:50 on JSON; 1:200 is a bomb
NAME_RE = re.compile(r"^(data/[a-z][a-z0-9_]{0,63}\.jsonl|attachments/[0-9a-f]{64})(\.enc)?$")

Progress = Callable[[int, int, str], None]

BLOCK_ROWS = 20_000  # rows parsed, checked and written together
MEMORY_ROWS = 100_000  # rows of one package kept in memory; the rest wait in a spill file


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a package is read, checked and written.

    A township package makes about a million row lists and their values (none cyclic); every young
    collection they trigger walks them, and the older ones walk everything parsed so far (measured:
    2–2.5 s of CPU of a 1,048,000-row package, an eighth of its import). Memory is unchanged: rows
    are freed by reference counting as before, only the cycle search waits. The collector is turned
    back on only if it was on (nesting and threads are harmless: at worst it runs again early).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class RowStore:
    """A package's parsed rows per table, in blocks of about ``BLOCK_ROWS``, for a receiver that reads
    them twice (once to check, once to write) without holding the package in memory.

    The first ``budget`` rows stay in memory (a small package costs nothing extra); later blocks are
    written with ``marshal`` (our own file, in the package's staging folder, removed with it) and
    read back one block at a time. Memory: at most ``budget`` rows plus one block.
    """

    def __init__(self, spool: Callable[[], Path], budget: int | None = None) -> None:
        self._spool = spool
        self.budget = MEMORY_ROWS if budget is None else budget
        self.kept = 0  # rows held in memory
        self._blocks: dict[str, list[list[list[Any]] | tuple[int, int]]] = {}
        self._counts: dict[str, int] = {}
        self._file: BinaryIO | None = None
        self.spilled = 0  # rows written to the spill file

    def add(self, table: str, block: list[list[Any]]) -> None:
        """Append ``block`` (rows in manifest column order) to ``table``."""
        self._blocks.setdefault(table, []).append(self._keep(block))
        self._counts[table] = self._counts.get(table, 0) + len(block)

    def replace(self, table: str, index: int, block: list[list[Any]]) -> None:
        """Put a block back changed (same rows, e.g. mapped to the receiver's columns and cleaned)."""
        slot = self._blocks[table][index]
        if isinstance(slot, list):
            self._blocks[table][index] = block
        else:
            self._blocks[table][index] = self._spill(block)

    def blocks(self, table: str) -> Iterator[tuple[int, list[list[Any]]]]:
        """``(index, rows)`` of each block of ``table`` in file order (spilled blocks read back)."""
        for index, slot in enumerate(self._blocks.get(table, [])):
            if isinstance(slot, list):
                yield index, slot
            else:
                assert self._file is not None
                self._file.seek(slot[0])
                yield index, marshal.loads(self._file.read(slot[1]))

    def count(self, table: str) -> int:
        return self._counts.get(table, 0)

    def tables(self) -> list[str]:
        return [t for t, n in self._counts.items() if n]

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _keep(self, block: list[list[Any]]) -> list[list[Any]] | tuple[int, int]:
        if self.kept + len(block) <= self.budget:
            self.kept += len(block)
            return block
        return self._spill(block)

    def _spill(self, block: list[list[Any]]) -> tuple[int, int]:
        if self._file is None:
            self._file = (self._spool() / "rows.spill").open("w+b")
        data = marshal.dumps(block)
        at = self._file.seek(0, 2)
        self._file.write(data)
        self.spilled += len(block)
        return at, len(data)


@dataclass
class OpenedPackage:
    """A package that passed every check: its manifest, rows (JSON dicts) per table and attachments.

    ``blobs`` maps an attachment's SHA-256 to a verified staging file (``read_package`` streams each
    attachment there, never holding it in memory; the receiver moves it into the store at commit), or
    to bytes a caller put there itself. The staging folder is removed by ``close()`` (also used as a
    context manager) or, at the latest, when the object is garbage-collected.
    """

    path: Path
    package_id: str  # SHA-256 of the whole file
    size: int
    manifest: mf.Manifest
    rows: dict[str, list[list[Any]]] = field(default_factory=dict)  # per table, in manifest column order
    blobs: dict[str, bytes | Path] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # rows per table when not parsed
    spool: Path | None = None  # staging folder of the attachment files (created on the first one)
    store: RowStore | None = None  # with ``read_package(..., blocks=True)``: rows by block, not ``rows``
    shown_name: str = ""  # the name the clerk knows (a held copy keeps the name it had on the stick)

    def spool_dir(self, parent: Path | None) -> Path:
        """The staging folder, created under ``parent`` (system temp when None) on first use."""
        if self.spool is None:
            if parent is not None:
                parent.mkdir(parents=True, exist_ok=True)
            self.spool = Path(tempfile.mkdtemp(prefix="ltpkg-", dir=parent))
            weakref.finalize(self, shutil.rmtree, str(self.spool), True)
        return self.spool

    def close(self) -> None:
        """Remove the staging folder and whatever attachment files (and spilled rows) are still in it."""
        if self.store is not None:
            self.store.close()
        if self.spool is not None:
            shutil.rmtree(self.spool, ignore_errors=True)

    def __enter__(self) -> OpenedPackage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def file_name(self) -> str:
        return self.shown_name or self.path.name

    def columns(self, table: str) -> list[str]:
        info = self.manifest.tables.get(table)
        return list(info["columns"]) if info else []

    def dicts(self, table: str) -> list[dict[str, Any]]:
        cols = self.columns(table)
        return [dict(zip(cols, row, strict=True)) for row in self.rows.get(table, [])]


# --- writing ---------------------------------------------------------------------------------


def _zinfo(name: str, method: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, ZIP_TIME)
    info.compress_type = method
    info.external_attr = 0o644 << 16
    return info


def _file_digest(path: Path) -> tuple[str, int]:
    """SHA-256 and size of a file, read in 1 MiB chunks."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def write_package(
    path: Path,
    manifest: mf.Manifest,
    payload: Mapping[str, bytes | Path],
    key: Ed25519PrivateKey,
    sealer: Sealer | None = None,
) -> None:
    """Write ``payload`` (plain entry name -> bytes, or a file holding them) as a signed package at
    ``path``, atomically.

    Fills ``manifest.entries`` and ``manifest.encryption``. Encrypted entries hold
    AES-GCM(zlib(plain)) and are stored without further compression. An entry given as a file is
    hashed and copied in chunks (never held whole) unless it must be sealed.
    """
    stored: list[tuple[str, bytes | Path, int]] = []
    manifest.entries = {}
    for name, data in payload.items():
        if sealer is not None:
            plain = data.read_bytes() if isinstance(data, Path) else data
            sealed_name = name + ".enc"
            blob = sealer.seal(sealed_name, zlib.compress(plain, COMPRESS_LEVEL))
            stored.append((sealed_name, blob, zipfile.ZIP_STORED))
            manifest.entries[sealed_name] = {
                "sha256": hashlib.sha256(blob).hexdigest(),
                "size": len(blob),
                "plain_size": len(plain),
            }
            del plain
        else:
            method = zipfile.ZIP_STORED if name.startswith("attachments/") else zipfile.ZIP_DEFLATED
            stored.append((name, data, method))
            if isinstance(data, Path):
                sha, size = _file_digest(data)
            else:
                sha, size = hashlib.sha256(data).hexdigest(), len(data)
            manifest.entries[name] = {"sha256": sha, "size": size}
    manifest.encryption = sealer.header() if sealer is not None else None
    manifest_bytes = manifest.to_bytes()
    manifest_sig = b64(sign(key, manifest_bytes)).encode("ascii")

    def write(f: BinaryIO) -> None:
        with zipfile.ZipFile(f, "w") as zf:
            zf.comment = b"\0" * COMMENT_LEN  # placeholder, replaced by the file signature below
            zf.writestr(_zinfo(MANIFEST, zipfile.ZIP_STORED), manifest_bytes)
            zf.writestr(_zinfo(SIGNATURE, zipfile.ZIP_STORED), manifest_sig)
            for name, data, method in stored:
                if isinstance(data, Path):
                    info = _zinfo(name, method)
                    info._compresslevel = COMPRESS_LEVEL  # type: ignore[attr-defined]  # as writestr(compresslevel=)
                    with data.open("rb") as src, zf.open(info, "w") as dst:
                        while chunk := src.read(1 << 20):
                            dst.write(chunk)
                else:
                    zf.writestr(_zinfo(name, method), data, compresslevel=COMPRESS_LEVEL)
        f.flush()
        end = f.seek(0, 2)
        f.seek(0)
        digest = hashlib.sha256()
        left = end - COMMENT_LEN
        while left > 0:
            chunk = f.read(min(1 << 20, left))
            digest.update(chunk)
            left -= len(chunk)
        signature = b64(sign(key, FILE_SIG_CONTEXT + digest.digest())).encode("ascii")
        f.seek(end - COMMENT_LEN)
        f.write(SIG_PREFIX + signature)

    with atomic_file(path) as f:
        write(f)


# --- reading ---------------------------------------------------------------------------------


def _damaged(path: Path, detail: str = "") -> PackageInvalid:
    extra = f"（{detail}）" if detail else ""
    return PackageInvalid(
        f"同步包 {path.name} 不完整或已损坏{extra}。可能是复制时被中断或 U 盘出错，请在乡镇电脑上重新导出。"
    )


def _refuse_ack(path: Path) -> None:
    """An acknowledgement handed to the package reader: say what it is and where it goes."""
    try:
        with path.open("rb") as fh:
            head = fh.read(64).lstrip()
    except OSError:
        return
    if path.suffix.lower() == ".ltack" or (head.startswith(b"{") and b'"ack"' in head):
        raise PackageInvalid(
            f"{path.name} 是县里出具的回执（.ltack），不是同步包。请在乡镇电脑上用 `sync ack {path.name}`"
            "（或数据同步窗口的“导入回执”）导入它。"
        )


def check_entry_name(name: str) -> None:
    """Refuse names that could escape a folder or that the format does not define."""
    if "\\" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise PackageInvalid(f"同步包含有绝对路径的条目 “{name}”，已拒绝（可能是恶意文件）。")
    if any(part == ".." for part in name.split("/")):
        raise PackageInvalid(f"同步包含有跳出目录的条目 “{name}”（../），已拒绝（可能是恶意文件）。")
    if name in (MANIFEST, SIGNATURE):
        return
    if not NAME_RE.match(name):
        raise PackageInvalid(f"同步包含有格式未定义的条目 “{name}”，已拒绝。")


def read_entry(fp: BinaryIO, info: zipfile.ZipInfo, limit: int, path: Path) -> bytes:
    """Inflate one entry ourselves: never more than its declared size, CRC checked."""
    return b"".join(entry_chunks(fp, info, limit, path))


def entry_chunks(fp: BinaryIO, info: zipfile.ZipInfo, limit: int, path: Path) -> Iterator[bytes]:
    """The entry's bytes as chunks of at most ~1 MiB, with ``read_entry``'s checks (declared size and
    limit, compression ratio, truncation, CRC); the last check runs after the last chunk, so a consumer
    must read to the end before trusting what it computed. Nothing holds the whole entry."""
    declared = info.file_size
    if declared > limit:
        raise PackageInvalid(f"同步包条目 {info.orig_filename} 声明大小 {declared} 字节，超过上限，已拒绝。")
    if info.flag_bits & 0x1:
        raise PackageInvalid(f"同步包条目 {info.orig_filename} 使用了 zip 口令加密，格式不符。")
    fp.seek(info.header_offset)
    header = fp.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise _damaged(path, f"条目 {info.orig_filename} 的头部无效")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    if fp.read(name_len) != info.orig_filename.encode("utf-8"):
        raise _damaged(path, f"条目 {info.orig_filename} 的名称前后不一致")
    fp.seek(extra_len, 1)
    left = info.compress_size
    crc, produced = 0, 0
    if info.compress_type == zipfile.ZIP_STORED:
        if left != declared:
            raise _damaged(path, f"条目 {info.orig_filename} 的大小前后不一致")
        while left > 0:
            chunk = fp.read(min(1 << 20, left))
            if not chunk:
                raise _damaged(path, f"条目 {info.orig_filename} 被截断")
            left -= len(chunk)
            produced += len(chunk)
            crc = zlib.crc32(chunk, crc)
            yield chunk
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        if declared > (1 << 20) and declared > MAX_RATIO * max(left, 1):
            raise PackageInvalid(f"同步包条目 {info.orig_filename} 的压缩比异常（疑似压缩炸弹），已拒绝。")
        inflater = zlib.decompressobj(-15)
        try:
            while left > 0:
                chunk = fp.read(min(1 << 16, left))
                if not chunk:
                    raise _damaged(path, f"条目 {info.orig_filename} 被截断")
                left -= len(chunk)
                data = chunk
                while data:
                    out = inflater.decompress(data, min(1 << 20, declared + 1 - produced))
                    produced += len(out)
                    if produced > declared:
                        raise PackageInvalid(
                            f"同步包条目 {info.orig_filename} 解压后超过声明的 {declared} 字节"
                            "（疑似压缩炸弹），已拒绝，未写入任何数据。"
                        )
                    data = inflater.unconsumed_tail
                    if out:
                        crc = zlib.crc32(out, crc)
                        yield out
        except zlib.error as exc:
            raise _damaged(path, f"条目 {info.orig_filename} 无法解压") from exc
        if not inflater.eof or produced != declared:
            raise _damaged(path, f"条目 {info.orig_filename} 的解压结果与声明不符")
    else:
        raise PackageInvalid(f"同步包条目 {info.orig_filename} 使用了不支持的压缩方式。")
    if produced != declared:
        raise _damaged(path, f"条目 {info.orig_filename} 被截断")
    if crc != info.CRC:
        raise _damaged(path, f"条目 {info.orig_filename} 的 CRC 校验失败")


MAX_ATTACHMENTS = 5000  # files per package
MAX_ATTACHMENT_BYTES = 2 << 30  # all attachment files of one package together
MAX_ATTACHMENT_FILE = 50 << 20  # one file (services.attachments.MAX_BYTES)


def _check_attachment_bounds(path: Path, manifest: mf.Manifest, present: set[str]) -> None:
    """Refuse before inflating anything: too many attachment files, one too large, or too much in all."""
    sizes = []
    for name in present:
        if name.startswith("attachments/"):
            entry = manifest.entries[name]
            size = entry.get("plain_size", entry["size"]) if name.endswith(".enc") else entry["size"]
            sizes.append(int(size) if isinstance(size, int) else MAX_ATTACHMENT_FILE + 1)
    if len(sizes) > MAX_ATTACHMENTS or sum(sizes) > MAX_ATTACHMENT_BYTES:
        raise PackageInvalid(
            f"同步包 {path.name} 含 {len(sizes)} 个附件、共 {sum(sizes) >> 20} MB，超过每个包的上限"
            f"（{MAX_ATTACHMENTS} 个、{MAX_ATTACHMENT_BYTES >> 20} MB），已拒绝，未读取其内容。"
        )
    if sizes and max(sizes) > MAX_ATTACHMENT_FILE:
        raise PackageInvalid(
            f"同步包 {path.name} 中有附件大于 {MAX_ATTACHMENT_FILE >> 20} MB（单个附件的上限），已拒绝，未读取其内容。"
        )


def _refuse_zip64(fp: BinaryIO, size: int, infos: list[zipfile.ZipInfo], path: Path) -> None:
    """The format forbids ZIP64 (no package needs it; it hides sizes from the simple checks)."""
    tail_len = min(size, 22 + COMMENT_LEN + 20 + 56 + 64)
    fp.seek(size - tail_len)
    tail = fp.read(tail_len)
    zip64 = b"PK\x06\x06" in tail or b"PK\x06\x07" in tail
    for info in infos:
        fp.seek(info.header_offset)
        local = fp.read(30)
        local_extra = b""
        if len(local) == 30 and local[:4] == b"PK\x03\x04":
            name_len, extra_len = struct.unpack("<HH", local[26:30])
            fp.seek(name_len, 1)
            local_extra = fp.read(extra_len)
        for extra in (info.extra, local_extra):
            while len(extra) >= 4 and not zip64:
                head, length = struct.unpack("<HH", extra[:4])
                zip64 = head == 0x0001
                extra = extra[4 + length :]
    if zip64:
        raise PackageInvalid(
            f"{path.name} 使用了 ZIP64 格式，同步包格式不允许，已拒绝（不是本软件导出的包，可能是恶意文件）。"
        )


def _hash_file(fp: BinaryIO, size: int) -> tuple[str, bytes, bytes]:
    """SHA-256 of the whole file, SHA-256 of everything before the signature comment, and the comment."""
    whole, prefix = hashlib.sha256(), hashlib.sha256()
    boundary = size - COMMENT_LEN
    pos = 0
    tail = bytearray()
    fp.seek(0)
    while True:
        chunk = fp.read(1 << 20)
        if not chunk:
            break
        whole.update(chunk)
        if pos < boundary:
            prefix.update(chunk[: boundary - pos])
        if pos + len(chunk) > boundary:
            tail += chunk[max(0, boundary - pos) :]
        pos += len(chunk)
    return whole.hexdigest(), prefix.digest(), bytes(tail)


def read_package(
    path: Path,
    *,
    county_key: X25519PrivateKey | None = None,
    sealer: Sealer | None = None,
    progress: Progress | None = None,
    decrypt: bool = True,
    parse_rows: bool = True,
    spool_dir: Path | None = None,
    blocks: bool = False,
) -> OpenedPackage:
    """Open and fully verify a package. Raises ``PackageInvalid``/``KeyMissing``; returns only clean data.

    Memory: one entry at a time. A plain entry is streamed in ≤ 1 MiB chunks (rows parsed per chunk,
    attachments written to a staging file under ``spool_dir``, system temp when None); an encrypted
    entry (format 2: one AES-GCM seal per entry) holds its sealed bytes and their decryption, both the
    compressed size, while it is inflated chunk by chunk. Only the parsed rows stay.

    With ``decrypt=False`` an encrypted package without a key is checked as far as possible
    (signatures, sizes, hashes of the encrypted entries) and its rows are left empty.

    With ``blocks=True`` the rows go to ``opened.store`` (a ``RowStore``: blocks of ``BLOCK_ROWS``,
    the first ``MEMORY_ROWS`` rows in memory, the rest spilled to the staging folder) and
    ``opened.rows`` stays empty: what a receiver uses to keep memory bounded.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise PackageInvalid(f"无法读取同步包 {path}：{exc.strerror}。") from exc
    _refuse_ack(path)
    if size < 22 + COMMENT_LEN:
        raise _damaged(path, f"只有 {size} 字节")
    if size > MAX_PACKAGE:
        raise PackageInvalid(f"同步包 {path.name} 大小 {size} 字节，超过上限，已拒绝。")
    try:
        with path.open("rb") as fp:
            package_id, prefix_digest, tail = _hash_file(fp, size)
            try:
                zf = zipfile.ZipFile(fp)
            except Exception as exc:  # BadZipFile, NotImplementedError, ValueError, …: all mean damaged
                raise _damaged(path, "zip 目录无法读取") from exc
            with zf:
                return _read_open(
                    path,
                    fp,
                    zf,
                    size,
                    package_id,
                    prefix_digest,
                    tail,
                    county_key,
                    sealer,
                    progress,
                    decrypt,
                    parse_rows,
                    spool_dir,
                    blocks,
                )
    except SyncError:
        raise
    except OSError as exc:
        raise PackageInvalid(f"读取同步包 {path.name} 时出错：{exc}。请检查 U 盘后重试。") from exc
    except (
        RecursionError,
        MemoryError,
        ValueError,
        TypeError,
        LookupError,
        AttributeError,
        struct.error,
    ) as exc:
        raise PackageInvalid(
            f"{path.name} 的内部结构异常（{type(exc).__name__}：嵌套过深、字段类型不符或目录被改动），"
            "不是本软件导出的同步包，已拒绝，未读取其内容（可能是恶意文件）。"
        ) from exc
    except Exception as exc:  # the container lied in a way zipfile or json did not expect
        raise _damaged(path, type(exc).__name__) from exc


def _read_open(
    path: Path,
    fp: BinaryIO,
    zf: zipfile.ZipFile,
    size: int,
    package_id: str,
    prefix_digest: bytes,
    tail: bytes,
    county_key: X25519PrivateKey | None,
    sealer: Sealer | None,
    progress: Progress | None,
    decrypt: bool,
    parse_rows: bool,
    spool_dir: Path | None,
    blocks: bool = False,
) -> OpenedPackage:
    infos = zf.infolist()
    by_name: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        check_entry_name(info.orig_filename)
        if info.orig_filename in by_name:
            raise PackageInvalid(f"同步包中条目 {info.orig_filename} 出现了两次，已拒绝。")
        by_name[info.orig_filename] = info
    _refuse_zip64(fp, size, infos, path)
    if MANIFEST not in by_name:
        raise PackageInvalid(f"{path.name} 中没有清单（manifest.json），不是有效的同步包。")
    if zf.comment.startswith(SIG_PREFIX) and (len(zf.comment) != COMMENT_LEN or zf.comment != tail):
        raise _damaged(path, "文件末尾的签名不完整，文件可能被截断")
    if SIGNATURE not in by_name or zf.comment != tail or not tail.startswith(SIG_PREFIX):
        raise PackageInvalid(f"同步包 {path.name} 缺少签名，无法确认来源，已拒绝。")
    manifest_bytes = read_entry(fp, by_name[MANIFEST], MAX_MANIFEST, path)
    raw = mf.peek_version(manifest_bytes)
    manifest = mf.parse(raw)
    # The whole file first: after this, every byte is as the device wrote it.
    file_sig = unb64(tail[len(SIG_PREFIX) :].decode("ascii", "replace"), "文件签名")
    verify(manifest.device_public_key, FILE_SIG_CONTEXT + prefix_digest, file_sig, f"同步包 {path.name} ")
    sig = unb64(read_entry(fp, by_name[SIGNATURE], 1024, path).decode("ascii", "replace"), "清单签名")
    verify(manifest.device_public_key, manifest_bytes, sig, f"同步包 {path.name} 的清单")
    computed = key_id(unb64(manifest.device_public_key, "签名公钥"))
    if manifest.device_key_id != computed:
        raise PackageInvalid(
            f"同步包 {path.name} 清单中写的密钥指纹 {manifest.device_key_id} 与实际签名密钥的指纹 {computed} 不符，"
            "已拒绝（可能是伪造的包）。"
        )

    present = set(by_name) - {MANIFEST, SIGNATURE}
    declared = set(manifest.entries)
    if present != declared:
        odd = sorted(present ^ declared)[:3]
        raise PackageInvalid(f"同步包内容与清单不符（{', '.join(odd)}），已拒绝。")
    total = sum(by_name[n].file_size for n in present)
    if total > MAX_PACKAGE:
        raise PackageInvalid(f"同步包 {path.name} 解压后总大小超过上限，已拒绝。")
    _check_attachment_bounds(path, manifest, present)
    encrypted = manifest.encryption is not None
    if encrypted and sealer is None and (decrypt or county_key is not None):
        sealer = open_sealer(county_key, dict(manifest.encryption or {}))

    opened = OpenedPackage(path=path, package_id=package_id, size=size, manifest=manifest)
    if blocks and parse_rows:
        opened.store = RowStore(lambda: opened.spool_dir(spool_dir))
    try:
        for done, name in enumerate(sorted(present), start=1):
            info = by_name[name]
            entry = manifest.entries[name]
            if info.file_size != entry["size"]:
                raise PackageInvalid(f"同步包条目 {name} 的大小与清单不符，已拒绝。")
            limit = min(MAX_ENTRY, int(entry["size"]))
            stored = _hashed(entry_chunks(fp, info, limit, path), str(entry["sha256"]), name)
            plain_name = name
            if name.endswith(".enc"):
                if not encrypted:
                    raise PackageInvalid(f"同步包条目 {name} 是加密的，但清单中没有加密信息。")
                if sealer is None:
                    for _chunk in stored:  # checked as far as possible without the county key
                        pass
                    continue
                plain_size = entry.get("plain_size")
                if not isinstance(plain_size, int) or plain_size < 0 or plain_size > MAX_ENTRY:
                    raise PackageInvalid(f"清单中加密条目 {name} 的原始大小无效。")
                # Format 2 seals a whole entry (one GCM tag): the sealed bytes are held, one entry at a time.
                sealed = b"".join(stored)
                compressed = sealer.open(name, sealed)
                del sealed
                plain = _inflate_chunks(compressed, plain_size, name)
                plain_name = name[: -len(".enc")]
            elif encrypted:
                raise PackageInvalid(f"加密包中出现了未加密的条目 {name}，已拒绝。")
            else:
                plain = stored
            _take(opened, plain_name, plain, parse_rows, spool_dir)
            if progress:
                progress(done, len(present), plain_name)
        if sealer is not None or not encrypted:
            _check_counts(opened)
    except BaseException:
        opened.close()
        raise
    return opened


def _hashed(chunks: Iterator[bytes], sha256: str, name: str) -> Iterator[bytes]:
    """``chunks`` passed through; after the last one, their SHA-256 must be ``sha256`` (the manifest's)."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
        yield chunk
    if digest.hexdigest() != sha256:
        raise PackageInvalid(f"同步包条目 {name} 的校验值与清单不符：内容被改动或损坏，已拒绝。")


def _inflate_chunks(data: bytes, limit: int, name: str) -> Iterator[bytes]:
    """zlib-inflate a decrypted entry in ≤ 1 MiB pieces, never past ``limit`` (its declared plain size)."""
    inflater = zlib.decompressobj()
    produced = 0
    view = memoryview(data)
    try:
        for at in range(0, max(len(data), 1), 1 << 16):
            pending = bytes(view[at : at + (1 << 16)])
            while pending:
                out = inflater.decompress(pending, min(1 << 20, limit + 1 - produced))
                produced += len(out)
                if produced > limit:
                    raise PackageInvalid(f"加密条目 {name} 解压后超过声明的大小（疑似压缩炸弹），已拒绝。")
                pending = inflater.unconsumed_tail
                if out:
                    yield out
    except zlib.error as exc:
        raise PackageInvalid(f"加密条目 {name} 解密后无法解压，文件已损坏。") from exc
    if not inflater.eof or produced != limit:
        raise PackageInvalid(f"加密条目 {name} 解压结果与声明的大小不符，文件已损坏。")


def _take(
    opened: OpenedPackage, name: str, chunks: Iterator[bytes], parse_rows: bool, spool_dir: Path | None
) -> None:
    """Consume one verified entry's plain bytes: an attachment into a staging file, a table's rows."""
    if name.startswith("attachments/"):
        sha = name.split("/", 1)[1]
        target = opened.spool_dir(spool_dir) / sha
        digest = hashlib.sha256()
        with target.open("wb") as out:
            for chunk in chunks:
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha:
            target.unlink(missing_ok=True)
            raise PackageInvalid(f"附件 {sha[:12]}… 的内容与其校验值不符，已拒绝。")
        opened.blobs[sha] = target
        return
    table, columns = _table_of(opened, name)
    if not parse_rows:  # hashes and sizes are checked, count the lines chunk by chunk
        lines, last = 0, b""
        for chunk in chunks:
            lines += chunk.count(b"\n")
            last = chunk[-1:]
        _count(opened, name, lines, last)
        return
    width, id_at = len(columns), columns.index("id")
    shared: list[tuple[int, dict[Any, Any]]] = [
        (i, {}) for i, c in enumerate(columns) if c in SHARED_COLUMNS or (c.endswith("_id") and c != "id")
    ]
    store = opened.store
    rows: list[list[Any]] = []
    rest = b""
    done = 0  # rows handed to the store (line numbers in messages count them)
    for chunk in chunks:
        block = rest + chunk if rest else chunk
        cut = block.rfind(b"\n")
        if cut < 0:
            rest = block
            continue
        rest = block[cut + 1 :]
        _parse_lines(block[:cut], table, width, id_at, rows, shared, done)
        if store is not None and len(rows) >= BLOCK_ROWS:
            store.add(table, rows)
            done += len(rows)
            rows = []
    if rest:
        raise PackageInvalid(f"数据表 {table} 的最后一行不完整。")
    if store is None:
        opened.rows[table] = rows
    elif rows:
        store.add(table, rows)


SHARED_COLUMNS = frozenset({"created_by", "updated_by", "owner_type", "kind", "status", "gender"})


def _parse_lines(
    block: bytes,
    table: str,
    width: int,
    id_at: int,
    rows: list[list[Any]],
    shared: list[tuple[int, dict[Any, Any]]],
    offset: int = 0,
) -> None:
    """Parse complete JSON Lines (without the final newline) and append them to ``rows``, checked.

    ``shared``: (column index, cache) of columns whose values repeat (references, user names, codes):
    equal values become one object, so a million rows naming one township hold its id once.
    """
    before = offset + len(rows)
    parsed = _decode_lines(block)
    if parsed is None:  # msgspec refused it, or did not read one value per line: the standard library
        try:  # decides (same acceptance as ever) and names the line
            # JSON never leaves a raw newline inside a value, so lines join into one array: one C call.
            parsed = json.loads(b"[" + block.replace(b"\n", b",") + b"]")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise PackageInvalid(
                f"数据表 {table} 含有无效的 JSON（第 {before + _line_of(block, exc)} 行附近）。"
            ) from exc
    # The shape checks run in C (map/set) over the whole block; the loop only names the bad line.
    try:
        fine = (
            set(map(type, parsed)) <= {list}
            and set(map(len, parsed)) <= {width}
            and set(map(type, map(itemgetter(id_at), parsed))) <= {str}
        )
    except (TypeError, IndexError):
        fine = False
    if not fine:
        for n, row in enumerate(parsed, start=before + 1):
            if not isinstance(row, list) or len(row) != width or not isinstance(row[id_at], str):
                raise PackageInvalid(f"数据表 {table} 第 {n} 行的列数与清单不符或缺少 id。")
    for i, cache in shared:
        values = list(map(itemgetter(i), parsed))
        try:
            shared_values = list(map(cache.setdefault, values, values))
        except TypeError:  # a list or object where a reference belongs: refused with its name later
            continue
        deque(map(setitem, parsed, repeat(i), shared_values), maxlen=0)
    rows.extend(parsed)


_LINES = msgspec.json.Decoder()


def _decode_lines(block: bytes) -> list[Any] | None:
    """The JSON Lines of ``block`` (complete lines, no final newline) decoded by msgspec — twice as fast
    as the standard library joined into one array, and without that copy — or None when msgspec
    refuses them or does not find exactly one value per line (a blank line, two values on one line):
    the caller then parses with the standard library, so what is accepted is unchanged (a lone
    surrogate escape or ``NaN`` msgspec refuses is decided, and refused or cleaned, as before)."""
    try:
        parsed: list[Any] = _LINES.decode_lines(block)
    except msgspec.DecodeError:
        return None
    return parsed if len(parsed) == block.count(b"\n") + 1 else None


def _table_of(opened: OpenedPackage, name: str) -> tuple[str, list[str]]:
    """The table a ``data/<table>.jsonl`` entry holds and its manifest columns (checked)."""
    table = name[len("data/") : -len(".jsonl")]
    if table not in opened.manifest.tables:
        raise PackageInvalid(f"同步包中的数据表 {table} 不在清单中。")
    columns = list(opened.manifest.tables[table]["columns"])
    if "id" not in columns or len(set(columns)) != len(columns):
        raise PackageInvalid(f"清单中表 {table} 的列名无效（缺少 id 或有重复）。")
    return table, columns


def _count(opened: OpenedPackage, name: str, lines: int, last: bytes) -> None:
    """A streamed table entry: ``lines`` newlines, ``last`` its final byte (b"" when empty)."""
    table, _columns = _table_of(opened, name)
    if not last:
        opened.rows[table] = []
    elif last != b"\n":
        raise PackageInvalid(f"数据表 {table} 的最后一行不完整。")
    else:
        opened.counts[table] = lines


def _line_of(data: bytes, exc: Exception) -> int:
    pos = getattr(exc, "pos", 0)
    return data[: max(0, pos - 1)].count(b"\n") + 1


def _check_counts(opened: OpenedPackage) -> None:
    m = opened.manifest
    for table, info in m.tables.items():
        if table in opened.counts:
            got = opened.counts[table]
        elif opened.store is not None:
            got = opened.store.count(table)
        else:
            got = len(opened.rows.get(table, []))
        if got != info["rows"]:
            raise PackageInvalid(f"数据表 {table} 有 {got} 行，清单写的是 {info['rows']} 行，已拒绝。")
    missing = set(m.attachments) - set(opened.blobs)
    if missing:
        raise PackageInvalid(f"清单列出的 {len(missing)} 个附件不在包中，已拒绝。")
