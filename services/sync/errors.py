"""Exceptions of the sync package; each message tells a clerk what is wrong and what to do."""

from __future__ import annotations

from services.errors import LedgerError


class SyncError(LedgerError):
    """Base of every sync problem reported to the user."""


class PackageInvalid(SyncError):
    """The file is damaged, forged or not a package at all: it is not read any further."""


class PackageRejected(SyncError):
    """The package is genuine but must not be merged here (other township, empty full export, …)."""


class AckInvalid(SyncError):
    """An acknowledgement file that is damaged, forged or meant for another device."""


class KeyMissing(SyncError):
    """A key the operation needs is not configured on this machine."""
