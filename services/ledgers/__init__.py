"""Ledgers declared once: column kinds, value types, the declared listings and their actions.

- ``values``: ``Money`` (integer fen) and ``Month`` (``YYYY-MM``).
- ``kinds``: one object per kind of column (parse, validate, display, Excel cell).
- ``schema``: the kind of every stored column a pack may name (the one map of coded columns).
- ``catalog``: each ledger's listing (columns and loader), actions (forms) and CLI arguments.
"""
