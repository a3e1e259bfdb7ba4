"""Small pieces of the sync screens' and commands' wording shared by the CLI and the GUI."""

from __future__ import annotations


def numbers(first: int, last: int) -> str:
    """A range of change numbers as a clerk reads it: ``第 10 号`` for one, ``第 1–3 号`` for several."""
    return f"第 {first} 号" if first == last else f"第 {first}–{last} 号"
