"""Exceptions a caller may catch. Each carries a message a clerk can read (Simplified Chinese)."""

from __future__ import annotations

import errno


class LedgerError(Exception):
    """Base of every error the app reports to the user instead of crashing."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ValidationError(LedgerError):
    """Bad input: names the field (stable code) and says what is wrong and what to do."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NotFound(LedgerError):
    pass


class DatabaseError(LedgerError):
    """The database file cannot be opened, migrated or trusted."""


class PermissionDenied(LedgerError):
    pass


def write_failed(path: object, exc: OSError) -> str:
    """A clerk's message for a failed file write; a full disk gets its own advice. The caller has
    removed any partial file."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"无法写入 {path}：磁盘空间已满。请清理磁盘或另选保存位置（如 U 盘）后重试，未留下不完整的文件。"
        )
    return f"无法写入 {path}：{exc.strerror or exc}。"
