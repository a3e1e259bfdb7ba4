"""`county …`: the county desk from the command line (全县总览; receiving lives in `sync`)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from services.cli import Context, emit, parse_date


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("county", help="县级：全县总览（各乡镇支部逐月对标和星级分布，可导出 Excel/PDF）")
    cs = p.add_subparsers(dest="county_cmd", required=True, metavar="子命令")
    ov = cs.add_parser("overview", help="全县总览：各乡镇支部逐月对标结果和星级分布")
    ov.add_argument("--year", type=int, required=True, help="年度，如 2026")
    ov.add_argument("--as-of", default=None, help="以该日期为截止（默认今天）")
    ov.add_argument("--pack", default=None, help="手册包文件（默认本机使用的手册包）")
    ov.add_argument("--xlsx", type=Path, default=None, help="导出为 Excel 文件")
    ov.add_argument("--pdf", type=Path, default=None, help="打印为 PDF 文件")
    ov.add_argument("--json", action="store_true")
    ov.set_defaults(handler=overview_cmd)


def overview_cmd(args: argparse.Namespace, ctx: Context) -> int:
    from services.cli.handbook import _pack
    from services.county.overview import county_overview, write_overview_pdf, write_overview_xlsx

    as_of: date | None = parse_date(args.as_of, "as_of") if args.as_of else None
    pack = _pack(args.pack)
    with ctx.db().reader() as s:
        ov = county_overview(s, pack, args.year, as_of=as_of)
    written = []
    if args.xlsx is not None:
        write_overview_xlsx(ov, args.xlsx)
        written.append(str(args.xlsx))
    if args.pdf is not None:
        written.append(str(write_overview_pdf(ov, args.pdf)))
    if args.json:
        emit(
            {
                "year": ov.year,
                "as_of": ov.as_of.isoformat(),
                "pack": {"name": ov.pack_name, "version": ov.pack_version},
                "townships": [
                    {
                        "code": t.code,
                        "name": t.name,
                        "branches": t.branches,
                        "rated": t.rated,
                        "by_stars": {str(k): n for k, n in sorted(t.by_stars.items())},
                        "average": None if t.average is None else round(t.average, 2),
                        "not_rated": t.not_rated,
                        "branches_with_errors": t.errors,
                    }
                    for t in ov.townships
                ],
                "branches": [
                    {
                        "township": ln.township_code,
                        "code": ln.branch_code,
                        "name": ln.branch_name,
                        "stars": ln.stars,
                        "cells": list(ln.cells),
                        "errors": ln.errors,
                        "warnings": ln.warnings,
                    }
                    for ln in ov.lines
                ],
                "files": written,
            },
            True,
        )
        return 0
    print(f"{ov.year} 年全县总览（手册包 {ov.pack_name} {ov.pack_version}，截至 {ov.as_of}）：")
    for t in ov.townships:
        dist = "，".join(f"★{k} {n} 个" for k, n in sorted(t.by_stars.items())) or "无评星支部"
        avg = "—" if t.average is None else f"{t.average:.1f}"
        print(
            f"  {t.name}（{t.code}）：支部 {t.branches} 个，评星 {t.rated} 个（{dist}），平均 {avg} 星，"
            f"有错误的支部 {t.errors} 个"
        )
    for path in written:
        print(f"已写出：{path}")
    return 0
