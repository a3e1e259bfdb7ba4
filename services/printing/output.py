"""Writing a finished PDF: temp file, fsync, verify by reading it back with pypdf, then rename."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from services.printing.errors import OutputError, VerifyFailed


def verify_pdf(data: bytes | Path, expect_pages: int) -> None:
    """The bytes parse as a PDF with the expected number of pages."""
    try:
        reader = PdfReader(io.BytesIO(data) if isinstance(data, bytes) else str(data))
        pages = len(reader.pages)
    except (PdfReadError, OSError, ValueError) as exc:
        raise VerifyFailed(
            f"生成的 PDF 无法读回（{exc}），文件未保存。请重试；若仍失败请联系技术支持。"
        ) from exc
    if pages != expect_pages:
        raise VerifyFailed(f"生成的 PDF 应有 {expect_pages} 页，读回只有 {pages} 页，文件未保存。请重试。")


def write_pdf(data: bytes, target: str | Path, expect_pages: int) -> Path:
    """Atomically writes ``data`` to ``target``; on any failure the target is left as it was."""
    target = Path(target).expanduser()
    if target.suffix.lower() != ".pdf":
        raise OutputError(f"输出文件名应以 .pdf 结尾：{target}。")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"保存位置不存在：{folder}。请先建立该文件夹或换一个位置。")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=".pdf.part", dir=folder)
    except OSError as exc:
        raise OutputError(f"无法在 {folder} 中写入文件（{exc.strerror}）。请检查权限或换一个位置。") from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        verify_pdf(tmp, expect_pages)
        os.replace(tmp, target)
    except OSError as exc:
        raise OutputError(f"保存 {target} 失败（{exc.strerror}）。请检查磁盘空间和权限后重试。") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    _fsync_dir(folder)
    return target


def _fsync_dir(folder: Path) -> None:
    """Makes the rename itself durable (not possible on Windows, where it is not needed)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
