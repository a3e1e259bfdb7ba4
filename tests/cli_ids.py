"""The record id a CLI command printed ("…，编号 1a2b3c4d。"), for the next command of a test."""

from __future__ import annotations

import re


def printed_id(out: str) -> str:
    """The short id after "编号" in ``out`` (the first one); fails the test when there is none."""
    found = re.search(r"编号 ([0-9a-f]{8})", out)
    assert found is not None, f"no id printed: {out!r}"
    return found[1]
