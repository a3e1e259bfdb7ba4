"""Exceptions of the printing package; each message tells the clerk what to do."""

from __future__ import annotations

from services.errors import LedgerError


class PrintError(LedgerError):
    """Base of every printing failure the app reports instead of crashing."""


class FontMissing(PrintError):
    """The embedded Chinese font file is missing or unreadable."""


class OutputError(PrintError):
    """The PDF could not be written where the clerk asked."""


class VerifyFailed(PrintError):
    """The written PDF did not read back as expected; nothing was left at the target path."""
