"""A command named inside a Chinese message stands apart: a space (or a bracket or quote) between
the Chinese text and the backquoted command, as everywhere else, also where a message is written as
several string pieces (a space lost at a line break reads "电脑上`sync key device`")."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GLUED = re.compile(r"[\u4e00-\u9fff]`[A-Za-z-]")


def _texts(path: Path) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        out.append((node.lineno, str(text)))
    return out


def test_no_message_glues_a_command_to_chinese_text() -> None:
    glued = [
        f"{path.relative_to(ROOT)}:{line}: {text[:80]}"
        for folder in ("services", "gui")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for line, text in _texts(path)
        if GLUED.search(text)
    ]
    assert not glued, "\n".join(glued)
