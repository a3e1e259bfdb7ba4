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


class ValidationErrors(ValidationError):
    """Several bad fields found in one pass, so a form can mark all of them at once.

    ``errors`` lists one ``ValidationError`` per problem in form order; ``field`` / ``message`` are
    the first one's (callers that only know ``ValidationError`` still get a sensible message)."""

    errors: list[ValidationError]

    def __init__(self, errors: list[ValidationError]) -> None:
        flat: list[ValidationError] = []
        for err in errors:
            flat.extend(err.errors if isinstance(err, ValidationErrors) else [err])
        if not flat:
            raise ValueError("ValidationErrors needs at least one error")
        super().__init__(flat[0].field, "\n".join(e.message for e in flat))
        self.errors = flat


class ErrorCollector:
    """Gathers ValidationErrors instead of stopping at the first: ``with collector.check(): ...``
    records an error raised inside; ``raise_if_any()`` raises them together (``ValidationErrors``
    when more than one, the single ``ValidationError`` otherwise)."""

    def __init__(self) -> None:
        self.errors: list[ValidationError] = []

    def add(self, field: str, message: str) -> None:
        self.errors.append(ValidationError(field, message))

    def check(self) -> _Check:
        return _Check(self)

    def fields(self) -> set[str]:
        return {e.field for e in self.errors}

    def raise_if_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise ValidationErrors(self.errors)


class _Check:
    def __init__(self, owner: ErrorCollector) -> None:
        self.owner = owner

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, _tb: object) -> bool:
        if isinstance(exc, ValidationErrors):
            self.owner.errors.extend(exc.errors)
            return True
        if isinstance(exc, ValidationError):
            self.owner.errors.append(exc)
            return True
        return False


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
