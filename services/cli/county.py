"""`county …`: the county desk from the command line (建库、接收、待补、全县总览、下发手册包和通知)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from services.cli import Context, emit, existing_file, parse_date
from services.cli._parser import group, subcommand
from services.sync.wording import numbers

TO_HELP = "同时把更新回执写到这个文件夹（U 盘），乡镇用 sync ack 导入即可收到，不必等下一次同步"


def register(sub: argparse._SubParsersAction) -> None:
    county = group(sub, "county", "县级接收：建库、接收整个文件夹、待补、全县总览、下发手册包和通知")
    ini = subcommand(
        county,
        "init",
        "建立县级接收数据库（SQLite 文件或 PostgreSQL URL）并生成县级密钥",
        init_cmd,
        json=True,
    )
    ini.add_argument("target", help="数据库：文件路径或 postgresql://…")
    ini.add_argument("--name", default="", help="县名，如 青塬县")
    ini.add_argument(
        "--key-file", type=Path, default=None, help="写出给乡镇的县级公钥文件（如 county-key.json）"
    )
    ini.add_argument(
        "--new-key",
        action="store_true",
        help="本机已有县级密钥时仍生成新密钥（旧密钥另存为以指纹命名的备份，不删除）；默认沿用已有密钥",
    )

    rc = subcommand(
        county, "receive", "导入文件夹（U 盘）里的全部同步包，并把回执写回同一文件夹", receive_cmd, json=True
    )
    rc.add_argument(
        "folder",
        type=Path,
        metavar="U盘文件夹",
        help="乡镇交来的 U 盘上存放同步包（.ltpkg）的文件夹；回执写回同一文件夹",
    )
    rc.add_argument("--no-ack", action="store_true", help="不写回执")

    subcommand(
        county,
        "pending",
        "待补：各乡镇最后收到的包、暂存的包和缺的号，以及该怎样告诉乡镇",
        pending_cmd,
        json=True,
    )

    hd = subcommand(
        county,
        "held-discard",
        "把核对过的暂存同步包移出待补（缺的号已无法补交，如乡镇恢复过备份或设备已注销）",
        held_discard_cmd,
        json=True,
    )
    hd.add_argument("file_name", metavar="暂存包文件名", help="county pending 列出的文件名")

    pp = subcommand(
        county, "pack-publish", "下发手册包更新（随下一次回执带给各乡镇）", pack_publish_cmd, json=True
    )
    pp.add_argument("pack", type=existing_file, metavar="手册包文件")
    pp.add_argument("--to", type=Path, default=None, metavar="文件夹", help=TO_HELP)

    no = subcommand(county, "notice", "下发通知（随下一次回执带给乡镇）", notice_cmd, json=True)
    no.add_argument("--title", required=True)
    no.add_argument("--text", required=True)
    no.add_argument(
        "--attach", action="append", type=Path, default=[], help="附件，可重复（每个不超过 5 MB）"
    )
    no.add_argument("--due", default=None, help="截止日期 YYYY-MM-DD")
    no.add_argument("--township", default="", help="只发给这个乡镇（代码）；默认发给全部乡镇")
    no.add_argument("--to", type=Path, default=None, metavar="文件夹", help=TO_HELP)

    ua = subcommand(
        county,
        "acks",
        "写出更新回执到文件夹（U 盘）：乡镇没有新的同步包时，把已下发的通知和手册包更新现在就带给乡镇",
        update_acks_cmd,
        json=True,
    )
    ua.add_argument("folder", type=Path)
    ua.add_argument("--township", default="", help="只给这个乡镇（代码）；默认每个已同步过的乡镇")

    subcommand(county, "outbox", "县里已下发的通知、手册包更新和冲突处理结果", outbox_cmd, json=True)

    ov = subcommand(county, "overview", "全县总览：各乡镇支部逐月对标结果和星级分布", overview_cmd, json=True)
    ov.add_argument("--year", type=int, required=True, help="年度，如 2026")
    ov.add_argument("--as-of", default=None, help="以该日期为截止（默认今天）")
    ov.add_argument("--pack", default=None, help="手册包文件（默认本机使用的手册包）")
    ov.add_argument("--xlsx", type=Path, default=None, help="导出为 Excel 文件")
    ov.add_argument("--pdf", type=Path, default=None, help="打印为 PDF 文件")


def init_cmd(args: argparse.Namespace, ctx: Context) -> int:
    from services.county.mode import init_county

    ctx.close()
    ctx.db_target, ctx.new_ledger = args.target, True
    info = init_county(ctx.db(), name=args.name, key_file=args.key_file, user=ctx.user, new_key=args.new_key)
    if args.json:
        emit(info, True)
        return 0
    what = "已建立县级接收数据库" if info["created"] else "该数据库已是县级接收数据库，已核对"
    print(f"{what}：{args.target}\n县级密钥指纹：{info['key_id']}，县级数据库编号：{info['county_db'][:8]}")
    if info["key_reused"]:
        print(
            f"本机已有县级密钥（指纹 {info['key_id']}），已沿用，没有生成新密钥："
            "同一台电脑上的县级接收库是同一个县级接收点。如确需更换密钥请加 --new-key。"
        )
    elif info["replaced_key_id"]:
        print(
            f"已生成新的县级密钥。原县级密钥（指纹 {info['replaced_key_id']}）已另存为备份："
            f"{info['key_backup']}（未删除，用旧公钥加密的同步包仍可导入）。请把新公钥文件发给各乡镇。"
        )
    if info["key_file"]:
        print(f"请把公钥文件 {info['key_file']} 发给各乡镇，在乡镇电脑上运行 `sync key county-set 文件`。")
    else:
        print(
            "还没有写出给乡镇的县级公钥文件。下一步：插入 U 盘，运行 "
            f"`county init {args.target} --key-file U盘路径/county-key.json`"
            "（沿用本机已有的县级密钥，不会生成新密钥），再把这个文件交给各乡镇，"
            "在乡镇电脑的“数据同步”窗口点“导入县级公钥文件…”（或运行 `sync key county-set 文件`）。"
        )
    from services.sync.crypto import county_key_path

    print(
        f"县级私钥保存在本机：{county_key_path()}。请把它另行备份到安全的地方（不要发给乡镇）："
        "丢失后，用它的公钥加密的同步包都无法导入。"
    )
    return 0


def _progress(done: int, total: int, name: str) -> None:
    if sys.stderr.isatty():
        print(
            f"\r[{done}/{total}] {name}\033[K", end="" if done < total else "\n", file=sys.stderr, flush=True
        )


def receive_cmd(args: argparse.Namespace, ctx: Context) -> int:
    from services.county.receive import receive_folder

    results = receive_folder(
        ctx.db(), args.folder, user=ctx.user, progress=_progress, write_acks=not args.no_ack
    )
    if args.json:
        emit([r.to_json() for r in results], True)
    else:
        for r in results:
            print(f"[{r.status_label}] {r.file_name}：{r.message}")
            for inner in r.released:
                print(f"    [{inner.status_label}] {inner.file_name}：{inner.message}")
        for ack in sorted({r.ack_file for r in results if r.ack_file}):
            print(f"已写回执：{args.folder / ack}")
    bad = any(r.status in ("rejected", "held", "pending") for r in results)
    return 1 if bad else 0


def pending_cmd(args: argparse.Namespace, ctx: Context) -> int:
    from services import localtime
    from services.county.mode import refuse_on_township
    from services.county.pending import pending_by_township

    refuse_on_township(ctx.db(), "待补（`county pending`）", " `sync status` 查看本机的同步情况")
    with ctx.db().reader() as s:
        towns = pending_by_township(s)
    if args.json:
        emit([t.to_json() for t in towns], True)
        return 0
    if not towns:
        print("还没有收到任何乡镇的同步包。")
    for t in towns:
        last = f"{t.last_file}（{localtime.show(t.last_received_at)}）" if t.last_file else "无"
        print(f"乡镇 {t.code} {t.name}  最后收到：{last}  已收到第 {t.received_through} 号为止")
        for h in t.held:
            failed = f"；上次导入失败：{h.error}" if h.error else ""
            print(f"    暂存 {h.file_name}（{numbers(h.seq_from, h.seq_to)}）：{h.waits_for}{failed}")
        print(f"    → {t.instruction}")
    return 0


def held_discard_cmd(args: argparse.Namespace, ctx: Context) -> int:
    from services.county.pending import discard_held

    held = discard_held(ctx.db(), args.file_name, user=ctx.user)
    if args.json:
        emit(held.to_json(), True)
        return 0
    print(
        f"已把暂存的 {held.file_name}（第 {held.seq_from}–{held.seq_to} 号）移出待补；"
        "暂存的文件仍保留在县里的暂存文件夹中。"
    )
    return 0


def pack_publish_cmd(args: argparse.Namespace, ctx: Context) -> int:
    from services.county.outbox import publish_pack

    view = publish_pack(ctx.db(), args.pack, user=ctx.user)
    if args.json and args.to is None:
        emit(view.to_json(), True)
        return 0
    if not args.json:
        print(f"已发布手册包更新：{view.title}，由乡镇确认后安装。")
    return _deliver(args, ctx, "", view.to_json())


def _deliver(args: argparse.Namespace, ctx: Context, township: str, issued: dict[str, Any]) -> int:
    """After a notice or pack update: write update acknowledgements to ``--to``, or say how it travels."""
    from services.county.outbox import write_update_acks

    to = f"乡镇 {township}" if township else "各乡镇"
    if args.to is None:
        print(
            f"它会随回执送到{to}：下次接收{to}的同步包时写出的回执会带上它。如{to}暂时没有新的同步包，"
            f"可现在写出更新回执：county acks <U盘文件夹>{f' --township {township}' if township else ''}，"
            "乡镇用 sync ack 导入。"
        )
        return 0
    acks = write_update_acks(ctx.db(), args.to, township=township, user=ctx.user)
    if args.json:
        emit({"issued": issued, "acks": [asdict(a) for a in acks]}, True)
        return 0
    for a in acks:
        print(f"已写出更新回执 {a.file_name}（乡镇 {a.township_code}，带 {a.items} 项县里下发的内容）")
    print(f"共 {len(acks)} 份，已签名并读回校验。请把文件夹交给乡镇，用 sync ack <回执文件> 导入。")
    return 0


def update_acks_cmd(args: argparse.Namespace, ctx: Context) -> int:
    args.to = args.folder
    return _deliver(args, ctx, args.township, {})


def notice_cmd(args: argparse.Namespace, ctx: Context) -> int:
    from services.county.outbox import publish_notice

    due = parse_date(args.due, "due") if args.due else None
    view = publish_notice(
        ctx.db(),
        args.title,
        args.text,
        attachments=args.attach,
        due=due,
        township=args.township,
        user=ctx.user,
    )
    if args.json and args.to is None:
        emit(view.to_json(), True)
        return 0
    if not args.json:
        print(f"已下发通知“{view.title}”。")
    return _deliver(args, ctx, args.township, view.to_json())


def outbox_cmd(args: argparse.Namespace, ctx: Context) -> int:
    from services.county.outbox import KIND_LABELS, list_outbox

    with ctx.db().reader() as s:
        views = list_outbox(s)
    if args.json:
        emit([v.to_json() for v in views], True)
        return 0
    if not views:
        print("县里还没有下发过通知或手册包更新。")
    for v in views:
        data: dict[str, Any] = v.to_json()
        print(
            f"{data['created_at_local']}  {KIND_LABELS.get(v.kind, v.kind)}  {v.title}  {v.township_code or '全部乡镇'}"
        )
    return 0


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
