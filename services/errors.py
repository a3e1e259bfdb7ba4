"""Exceptions a caller may catch. Each carries a message a clerk can read (Simplified Chinese)."""

from __future__ import annotations


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
