"""Exceptions of the sync package; each message tells a clerk what is wrong and what to do."""

from __future__ import annotations

from services.errors import LedgerError


class SyncError(LedgerError):
    """Base of every sync problem reported to the user."""


class PackageInvalid(SyncError):
    """The file is damaged, forged or not a package at all: it is not read any further."""


class PackageRejected(SyncError):
    """The package is genuine but must not be merged here (other township, empty full export, …)."""


class NothingToSync(SyncError):
    """An incremental export found no change the county has not confirmed: not a failure — the clerk
    is told so (the CLI exits 0); nothing is written."""


class AckInvalid(SyncError):
    """An acknowledgement file that is damaged, forged or meant for another device."""


class KeyMissing(SyncError):
    """A key the operation needs is not configured on this machine."""
