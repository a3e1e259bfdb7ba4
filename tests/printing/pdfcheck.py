"""Reading printed PDFs back the way an inspector's computer would: text, fonts, bookmarks."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.generic import DictionaryObject

PAGE_FIELD = re.compile(r"^(\d+)(?:–(\d+))?$")
DATE_FIELD = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SEQ_FIELD = re.compile(r"^(\d+|[一二三四五六七八九十]+)$")
FURNITURE = {"装", "订", "线"}


def reader(pdf: Path | bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf) if isinstance(pdf, bytes) else str(pdf))


def texts(pdf: Path | bytes) -> list[str]:
    return [p.extract_text() or "" for p in reader(pdf).pages]


def compact(text: str) -> str:
    """Text without whitespace: CJK wrapping breaks lines anywhere, even inside names."""
    return "".join(text.split())


def fonts(pdf: Path | bytes) -> list[dict[str, Any]]:
    """Every font of every page (and of form XObjects), with whether its program is embedded."""
    found: dict[int, dict[str, Any]] = {}

    def visit(resources: DictionaryObject | None) -> None:
        if not resources:
            return
        for ref in (resources.get("/Font") or {}).values():
            font = ref.get_object()
            key = id(font)
            descriptors = []
            if font.get("/Subtype") == "/Type0":
                for d in font["/DescendantFonts"]:
                    descriptors.append(d.get_object().get("/FontDescriptor"))
            else:
                descriptors.append(font.get("/FontDescriptor"))
            embedded = all(
                d is not None and any(k in d.get_object() for k in ("/FontFile2", "/FontFile", "/FontFile3"))
                for d in descriptors
            )
            truetype = all(d is not None and "/FontFile2" in d.get_object() for d in descriptors)
            found[key] = {
                "name": str(font.get("/BaseFont")),
                "subtype": str(font.get("/Subtype")),
                "embedded": embedded,
                "fontfile2": truetype,
                "tounicode": "/ToUnicode" in font,
            }
        for xref in (resources.get("/XObject") or {}).values():
            xobj = xref.get_object()
            if xobj.get("/Subtype") == "/Form":
                visit(xobj.get("/Resources"))

    for page in reader(pdf).pages:
        visit(page.get("/Resources"))
    return list(found.values())


def outline(pdf: Path | bytes) -> list[tuple[int, str, int]]:
    """Bookmarks as (level, title, 1-based page), in order."""
    r = reader(pdf)
    out: list[tuple[int, str, int]] = []

    def walk(items: list[Any], level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                out.append((level, str(item.title), r.get_destination_page_number(item) + 1))

    walk(r.outline, 0)
    return out


def catalog(page_texts: list[str]) -> list[tuple[int, str, int, int]]:
    """Rows of the printed 目录清单 as (level, title, first page, last page) from the catalog pages.

    Level 1 rows (ledgers) are numbered 一、二…; level 2 rows (sections, records) 1, 2….
    """
    lines: list[str] = []
    for text in page_texts:
        if "页  号" not in text and "页号" not in compact(text):
            if lines:
                break
            continue
        body = text.split("页  号", 1)[1]
        for line in body.splitlines():
            line = line.strip()
            if not line or line in FURNITURE or line.startswith("第 ") or "·" in line or line == "目录清单":
                continue
            lines.append(line)
    rows: list[tuple[int, str, int, int]] = []
    i = 0
    while i < len(lines):
        assert SEQ_FIELD.match(lines[i]), f"expected a 序号, got {lines[i]!r}"
        level = 2 if lines[i].isdigit() else 1
        i += 1
        title = []
        while not PAGE_FIELD.match(lines[i]) and not DATE_FIELD.match(lines[i]):
            title.append(lines[i])
            i += 1
        if DATE_FIELD.match(lines[i]):
            i += 1
        m = PAGE_FIELD.match(lines[i])
        assert m, lines[i]
        first = int(m[1])
        rows.append((level, "".join(title), first, int(m[2] or first)))
        i += 1
    return rows
