"""Unexpected errors: the traceback (which may hold names, phone and ID numbers from the data) goes
to a private log file; the clerk sees a plain Chinese message naming the cause where it is known
(full disk, database locked, read-only media) and where the details are."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from services import fileperms
from services.paths import data_dir

_LOGGER = "ledger"


def log_path() -> Path:
    """``<user data>/logs/ledger.log`` — owner-only, rotated at 1 MB (3 kept)."""
    return fileperms.secure_dir(data_dir() / "logs") / "ledger.log"


def install() -> Path:
    """Send the app's log (``logging.getLogger("ledger")`` and the root logger's errors) to the
    private log file. Idempotent; returns the file."""
    path = log_path()
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "ledger_private", False)]:
        if Path(getattr(old, "baseFilename", "")) == path:
            return path
        root.removeHandler(old)  # another data folder (tests, a portable install switched)
        old.close()
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    handler.ledger_private = True  # type: ignore[attr-defined]
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    fileperms.secure_file(path)
    return path


def plain_message(exc: BaseException) -> str:
    """What the clerk is told about an unexpected error (no data values, no English traceback)."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    if (
        (isinstance(exc, OSError) and exc.errno == 28)
        or "database or disk is full" in text
        or "no space" in text
    ):
        return "磁盘空间已满，本次操作没有保存。请清理磁盘（或换一个有空间的位置）后重试。"
    if "database is locked" in text or "database table is locked" in text:
        return "数据库正被另一个窗口或程序占用（等待超过 10 秒仍未释放），本次操作没有保存。请关闭其他窗口后重试。"
    if (
        "readonly database" in text
        or "read-only file system" in text
        or (isinstance(exc, OSError) and exc.errno == 30)
    ):
        return "数据库所在的磁盘或文件是只读的（写保护的 U 盘？），不能保存。请把文件复制到电脑上再操作。"
    return "程序内部出错，本次操作没有保存。"


def report(exc: BaseException) -> str:
    """Log ``exc`` with its traceback privately; return the message for the clerk."""
    try:
        where = install()
        logging.getLogger(_LOGGER).error("未处理的错误", exc_info=exc)
        hint = f"详细信息已记入本机日志 {where}，如需技术支持请提供该文件。"
    except OSError:
        hint = "（日志无法写入。）"
    return f"{plain_message(exc)}{hint}"
