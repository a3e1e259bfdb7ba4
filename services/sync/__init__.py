"""Sync packages: signed, optionally encrypted exports from a township and their merge at the county.

Read ``docs/sync-package.md`` for the format. Modules: ``package`` (the zip container, safe reading),
``manifest``, ``signing`` (Ed25519 device keys), ``crypto`` (X25519 + HKDF + AES-GCM), ``exporter``,
``receiver`` (merge, gaps, conflicts), ``ack`` (acknowledgements) and ``errors``.
"""
