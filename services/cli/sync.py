"""`sync …`: export packages, verify, import at the county, acknowledgements, status, conflicts, keys."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from services import localtime, machine_settings
from services.cli import Context, emit, existing_file, existing_path
from services.cli._parser import group, subcommand
from services.ledgers.schema import table_label
from services.sync import enrollment, keys
from services.sync.ack import apply_ack, apply_acks_in_folder, write_ack
from services.sync.conflicts import STATUS, list_conflicts
from services.sync.crypto import load_county_key
from services.sync.errors import NothingToSync, PackageRejected, SyncError
from services.sync.exporter import export_package
from services.sync.package import read_package
from services.sync.receiver import ImportResult, import_package, release_enrolled
from services.sync.status import local_text, sync_status
from services.sync.wording import numbers

_PACKAGE_NAME = re.compile(r"^(?P<code>.+)_(?P<dev>[0-9a-f]{8})_(?P<lo>\d+)-(?P<hi>\d+)_")
ENROLL_TO_HELP = "同时把导入的暂存包的回执写到这个文件夹（乡镇交来的 U 盘）"


def register(sub: argparse._SubParsersAction) -> None:
    sync = group(sub, "sync", "数据同步（同步包、回执、冲突、密钥）")
    ex = subcommand(sync, "export", "导出同步包到文件夹（默认增量）", sync_export, json=True)
    ex.add_argument("outdir", type=Path, help="目标文件夹（如 U 盘）")
    ex.add_argument("--full", action="store_true", help="全量导出")

    ve = subcommand(sync, "verify", "校验同步包（签名、校验值、结构）", sync_verify, json=True)
    ve.add_argument("package", type=existing_file, metavar="同步包文件")

    im = subcommand(sync, "import", "县级：导入同步包并出具回执", sync_import, json=True)
    im.add_argument("packages", nargs="+", type=existing_file, metavar="同步包文件")
    im.add_argument("--ack-dir", type=Path, default=None, help="回执写到哪里（默认与同步包同一文件夹）")
    im.add_argument("--no-ack", action="store_true", help="不写回执")

    ack = subcommand(
        sync,
        "ack",
        "乡镇：导入县里的回执（文件，或 U 盘文件夹里给本机的回执），标记已送达",
        sync_ack,
        json=True,
    )
    ack.add_argument(
        "file",
        type=existing_path,
        metavar="回执文件或文件夹",
        help="一个 .ltack 回执文件，或存放回执的文件夹（U 盘）：导入其中给本机的回执",
    )

    subcommand(sync, "status", "同步状态：上次导出、上次回执、待同步更改", sync_status_cmd, json=True)

    co_parser = subcommand(
        sync, "conflicts", "同步冲突列表与处理（默认：列出待确认的）", conflicts_list, json=True
    )
    co = co_parser.add_subparsers(dest="conflict_action")
    co_ls = subcommand(co, "list", "列出冲突（默认只列待确认的）", conflicts_list, json=True)
    co_ls.add_argument("--all", action="store_true", help="包括已处理的")
    co_show = subcommand(co, "show", "并排显示冲突的两个版本", conflicts_show, json=True)
    co_show.add_argument("id", type=int)
    co_res = subcommand(
        co,
        "resolve",
        "处理冲突：保留当前结果、改用另一版本，或逐字段合并（--field）",
        conflicts_resolve,
        json=True,
    )
    co_res.add_argument("id", type=int)
    co_res.add_argument(
        "--keep", default=None, choices=["current", "other"], help="未用 --field 指定的字段取哪一版"
    )
    co_res.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="字段=current|other",
        help="逐字段选择，可重复，如 --field name=other --field phone=current",
    )

    dv = group(sync, "device", "县级：设备登记（待登记、批准、更换、注销）", "device_action")
    subcommand(dv, "list", "列出设备及其登记状态", device_list, json=True)
    da = subcommand(dv, "approve", "核对指纹后批准一台待登记的设备", device_approve, json=True)
    da.add_argument("fingerprint", metavar="指纹", help="乡镇电脑 `sync key device` 显示的密钥指纹")
    da.add_argument("--additional", action="store_true", help="该乡镇已有登记设备时，作为第二台电脑登记")
    da.add_argument(
        "--reinstate",
        action="store_true",
        help="恢复登记一台已注销的设备（电脑已找回、要收下它未送达的记录；核实后才用）",
    )
    da.add_argument("--to", type=Path, default=None, metavar="U盘文件夹", help=ENROLL_TO_HELP)
    dr = subcommand(
        dv, "replace", "重装或更换的电脑：注销旧设备并登记新设备（同一乡镇代码）", device_replace, json=True
    )
    dr.add_argument("old_fingerprint", metavar="旧指纹")
    dr.add_argument("new_fingerprint", metavar="新指纹")
    dr.add_argument("--to", type=Path, default=None, metavar="U盘文件夹", help=ENROLL_TO_HELP)
    rf = subcommand(
        dv,
        "rebase-file",
        "写出对齐文件：重装后没有备份、重新建立乡镇的电脑用它改用县里的乡镇和支部编号",
        device_rebase_file,
        json=True,
    )
    rf.add_argument("fingerprint", metavar="指纹", help="已登记的新电脑的密钥指纹")
    rf.add_argument("folder", type=Path, metavar="U盘文件夹", help="对齐文件写到这个文件夹")
    dk = subcommand(dv, "revoke", "注销一台设备（丢失或停用），此后它的包一律拒收", device_revoke, json=True)
    dk.add_argument("fingerprint")

    ky = group(sync, "key", "密钥：本机签名密钥、县级加密密钥", "key_action")
    kd = subcommand(ky, "device", "显示本机签名密钥（没有则生成）", key_device, json=True)
    kd.add_argument(
        "--new",
        action="store_true",
        help="生成新的签名密钥（旧密钥另存备份）：用于被县里注销后又找回的电脑，新指纹须由县里登记",
    )
    gen = subcommand(
        ky, "county-generate", "县级：生成加密密钥对，并写出给乡镇的公钥文件", key_county_generate, json=True
    )
    gen.add_argument("out", type=Path, help="公钥文件路径，如 county-key.json")
    gen.add_argument(
        "--force", action="store_true", help="更换已有的县级密钥（旧密钥另存为备份，旧公钥不再用于新包）"
    )
    cset = subcommand(ky, "county-set", "乡镇：配置县级公钥（此后导出的包都加密）", key_county_set, json=True)
    cset.add_argument("file", type=existing_file, metavar="县级公钥文件")
    cset.add_argument(
        "--replace",
        action="store_true",
        help="县里换了电脑或数据库：用新文件替换本机已记住的县级密钥（请先电话核对指纹）",
    )

    rb = subcommand(
        sync,
        "rebase",
        "乡镇：导入县里写出的对齐文件（重装后没有备份、重新建立了乡镇的电脑），改用县里的乡镇和支部编号",
        sync_rebase,
        json=True,
    )
    rb.add_argument("file", type=existing_file, metavar="对齐文件")
    subcommand(ky, "county-show", "县级：显示本机县级公钥指纹", key_county_show, json=True)


def _progress_bar(done: int, total: int, what: str) -> None:
    if sys.stderr.isatty():
        print(f"\r[{done}/{total}] {what}\033[K", end="", file=sys.stderr, flush=True)


def _wrong(path: Path, expected: str, ctx: Context) -> None:
    """Refuse a file of another kind than ``expected`` before any reading (``services.sync.filekind``)."""
    from services.county.mode import is_county
    from services.sync.filekind import wrong_file

    with ctx.db().reader() as s:
        county = is_county(s)
    message = wrong_file(path, expected, county=county)
    if message:
        raise SyncError(message)


def sync_export(args: argparse.Namespace, ctx: Context) -> int:
    from services.county.mode import refuse_on_county
    from services.sync.filekind import not_a_folder

    refuse_on_county(ctx.db(), "导出同步包", "`county receive 文件夹` 接收乡镇的同步包")
    problem = not_a_folder(args.outdir)
    if problem:
        raise SyncError(problem)
    try:
        result = export_package(ctx.db(), args.outdir, full=args.full, user=ctx.user, progress=_progress_bar)
    except NothingToSync as exc:  # not a failure: everything has reached the county already
        emit({"exported": False, "message": exc.message} if args.json else exc.message, args.json)
        return 0
    if args.json:
        emit(result.to_json(), True)
    else:
        kind = "全量" if result.full else "增量"
        print(
            f"已导出{kind}同步包：{result.path}\n{numbers(result.seq_from, result.seq_to)}更改，"
            f"{result.total_rows} 条记录，{result.attachments} 个附件，{result.size} 字节，"
            f"{'已加密' if result.encrypted else '未加密（未配置县级公钥）'}，已读回校验。"
        )
        if result.missing_attachments:
            print(f"注意：{len(result.missing_attachments)} 个附件文件在本机找不到，未能放入包中。")
        if not result.encrypted:
            print(
                "注意：这个包没有加密（本机还没有配置县级公钥），县里会拒收。请先用 "
                "`sync key county-set 县级公钥文件`（县里建库时写出的 county-key.json）配置县级公钥，再重新导出。"
            )
    return 0


def sync_verify(args: argparse.Namespace, ctx: Context) -> int:
    _wrong(args.package, "package", ctx)
    opened = read_package(args.package, county_key=load_county_key(), decrypt=False)
    m = opened.manifest
    decrypted = m.encryption is None or bool(opened.rows) or not m.tables
    info: dict[str, Any] = {
        "file_name": opened.file_name,
        "package_id": opened.package_id,
        "ok": True,
        "format_version": m.format_version,
        "schema_revision": m.schema_revision,
        "township": m.township_code,
        "device_id": m.device_id,
        "device_key_id": enrollment.fingerprint(m.device_public_key),
        "generation": m.generation,
        "seq_from": m.seq_from,
        "seq_to": m.seq_to,
        "kind": "full" if m.full else "incremental",
        "created_at": m.created_at,
        "created_at_local": localtime.show_iso(m.created_at, seconds=True),
        "encrypted": m.encryption is not None,
        "contents_checked": decrypted,
        "rows": {t: int(i["rows"]) for t, i in m.tables.items()},
        "attachments": len(m.attachments),
    }
    if args.json:
        emit(info, True)
        return 0
    print(f"同步包 {opened.file_name} 校验通过：签名有效，所有条目的校验值与清单一致。")
    print(
        f"乡镇 {m.township_code}，设备 {m.device_id[:8]}（密钥指纹 {enrollment.fingerprint(m.device_public_key)}，"
        "由签名密钥算出），"
        f"{numbers(m.seq_from, m.seq_to)}更改，{m.total_rows} 条记录，{len(m.attachments)} 个附件，"
        f"生成于 {localtime.show_iso(m.created_at)}（本地时间）。"
    )
    if m.encryption is not None and not decrypted:
        print("内容已加密：本机没有县级私钥，未解密内容（加密条目的完整性已校验）。")
    return 0


def _print_import(r: ImportResult) -> None:
    label = {
        "imported": "已导入",
        "duplicate": "重复",
        "held": "暂存",
        "pending": "待登记",
        "rejected": "未导入",
    }.get(r.status, r.status)
    print(f"[{label}] {r.message}")
    for inner in r.released:
        _print_import(inner)


def sync_import(args: argparse.Namespace, ctx: Context) -> int:
    from services.county.mode import refuse_on_township

    db = ctx.db()
    refuse_on_township(
        db,
        "导入同步包（`sync import`）",
        " `sync export 文件夹` 导出同步包交给县里，用 `sync verify 文件` 校验",
    )
    for path in args.packages:
        _wrong(path, "package", ctx)
    results: list[dict[str, Any]] = []
    devices: dict[str, Path] = {}
    failed = False
    for path in args.packages:
        try:
            result = import_package(db, path, user=ctx.user, progress=_progress_bar)
        except SyncError as exc:
            failed = True
            named = _PACKAGE_NAME.match(path.name)
            if isinstance(exc, enrollment.DeviceRevoked):  # 待补 must say so, not "已全部导入"
                enrollment.note_refused(db, exc, user=ctx.user)
            elif named is not None and isinstance(exc, PackageRejected):
                from services.county.pending import note_rejected

                note_rejected(db, named["code"], named["dev"], path.name, exc.message, user=ctx.user)
            results.append({"file_name": path.name, "status": "rejected", "message": exc.message})
            if not args.json:
                print(f"[未导入] {path.name}：{exc.message}", file=sys.stderr)
            continue
        results.append(result.to_json())
        if result.status in ("held", "pending"):
            failed = True
        if result.status in ("imported", "duplicate", "held"):
            devices.setdefault(result.device_id, args.ack_dir or path.parent)
        if not args.json:
            _print_import(result)
    acks: list[str] = []
    if not args.no_ack:
        for device_id, folder in devices.items():
            try:
                ack = write_ack(db, device_id, folder)
            except SyncError as exc:
                failed = True
                print(f"写回执失败：{exc.message}", file=sys.stderr)
                continue
            acks.append(str(ack.path))
            if not args.json:
                print(f"已写回执：{ack.path}（确认收到到第 {ack.received_through} 号）")
    if args.json:
        emit({"results": results, "acks": acks}, True)
    return 1 if failed else 0


def sync_ack(args: argparse.Namespace, ctx: Context) -> int:
    from services.county.mode import refuse_on_county

    refuse_on_county(
        ctx.db(), "导入回执（`sync ack`）", "`county receive 文件夹` 接收同步包，回执会自动写到同一文件夹"
    )
    if args.file.is_dir():
        many = apply_acks_in_folder(ctx.db(), args.file, user=ctx.user)
        emit(many.to_json() if args.json else many.message, args.json)
        return 0
    _wrong(args.file, "ack", ctx)
    result = apply_ack(ctx.db(), args.file, user=ctx.user)
    emit(result.to_json() if args.json else result.message, args.json)
    return 0


def sync_status_cmd(args: argparse.Namespace, ctx: Context) -> int:
    from services.county.mode import is_county

    db = ctx.db()
    st = sync_status(db)
    with db.reader() as s:
        county = is_county(s)
    if args.json:
        emit(st | {"county": county}, True)
        return 0
    if county:
        _county_status(st)
        return 0
    print(f"本库设备号：{st['device_id'] or '（尚未导出过）'}  乡镇：{st['township'] or '—'}")
    print(f"当前变更序号：{st['current_seq']}  县里已确认到：{st['acked_seq']}")
    for w in st["warnings"]:
        print(f"注意：{w}")
    for d in st["skipped_decisions"]:
        print(f"注意：县里的决定未采用（{d['title']}）：{d['note']}")
    pending = st["pending"]
    print(
        f"待同步更改：{sum(pending.values())} 条"
        + (
            ""
            if not pending
            else "（" + "，".join(f"{table_label(t)} {n}" for t, n in pending.items()) + "）"
        )
    )
    le, la = st["last_export"], st["last_ack"]
    print(f"上次导出：{le['file_name'] + '（' + local_text(le.get('at')) + '）' if le else '无'}")
    print(f"上次回执：{la['file_name'] + '，确认到第 ' + str(la['acked']) + ' 号' if la else '无'}")
    print(f"县级公钥：{st['county_public_key_id'] or '未配置（导出的包不加密）'}")
    return 0


def _county_status(st: dict[str, Any]) -> None:
    """``sync status`` on the county database: what it received per township device (a device with
    several generations explained), held packages, open conflicts — no township lines."""
    print("县级接收数据库")
    print(f"本机县级私钥指纹：{st['county_private_key_id'] or '无（请运行 `county init`）'}")
    streams: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for d in st["received_devices"]:
        streams.setdefault((d["township"], d["device_id"].split(".")[0]), []).append(d)
    if not streams:
        print("还没有收到任何乡镇的同步包。")
    for (township, device), gens in streams.items():
        gens.sort(key=lambda d: d["last_seen"])
        if len(gens) == 1:
            d = gens[0]
            print(
                f"  已接收 乡镇 {township} 设备 {device[:8]}：到第 {d['received_through']} 号"
                f"（最后收到 {local_text(d['last_seen'])}）"
            )
            continue
        print(
            f"  已接收 乡镇 {township} 设备 {device[:8]}：{len(gens)} 代数据"
            "（这台电脑恢复过备份或用了复制的数据库，每一代从第 1 号重新编号；前几代已收到的内容都保留在县库里）"
        )
        for n, d in enumerate(gens, 1):
            now = "，当前" if n == len(gens) else ""
            print(
                f"    第 {n} 代：到第 {d['received_through']} 号（最后收到 {local_text(d['last_seen'])}{now}）"
            )
    for h in st["held"]:
        why = "待登记设备" if h["reason"] == "enroll" else _missing_text(h["missing_from"], h["missing_to"])
        failed = f"；上次导入失败：{h['error']}" if h["error"] else ""
        print(f"  暂存 乡镇 {h['township']} {h['file_name']}：{why}{failed}")
    print(f"待确认冲突：{st['open_conflicts']} 条")


def _missing_text(first: int, last: int) -> str:
    return f"缺{numbers(first, last)}"


def conflicts_list(args: argparse.Namespace, ctx: Context) -> int:
    from services.county import conflict_text as ct
    from services.ledgers.schema import table_label

    with ctx.db().reader() as s:
        views = list_conflicts(s, include_resolved=getattr(args, "all", False))
        if getattr(args, "json", False):
            emit([v.to_json() for v in views], True)
            return 0
        if not views:
            print("没有待确认的同步冲突。")
        for v in views:
            fields = "、".join(line.label for line in ct.field_lines(s, v, only_differing=True))
            print(
                f"#{v.id}  {table_label(v.table)} {ct.record_name(s, v)}  {STATUS.get(v.status, v.status)}"
                f"  不同的字段：{fields or '仅修改时间'}"
            )
    return 0


def conflicts_show(args: argparse.Namespace, ctx: Context) -> int:
    from services.county import conflict_text as ct
    from services.ledgers.schema import table_label

    with ctx.db().reader() as s:
        views = {v.id: v for v in list_conflicts(s, include_resolved=True)}
        v = views.get(args.id)
        if v is None:
            raise SyncError(f"没有编号为 {args.id} 的同步冲突。")
        if args.json:
            emit(v.to_json(), True)
            return 0
        print(
            f"冲突 #{v.id}：{table_label(v.table)}“{ct.record_name(s, v)}”，{STATUS.get(v.status, v.status)}"
        )
        current, other = ct.version_titles(s, v)
        print(f"  {current}")
        print(f"  {other}")
        print(f"  {ct.GUIDE}")
        lines = ct.field_lines(s, v, only_differing=True)
        if not lines:
            print("  两个版本只有修改时间不同。")
        for line in lines:
            print(f"  {line.label}（--field {line.key}）：当前版本 {line.current} ｜ 另一版本 {line.other}")
        warning = ct.choice_warning(s, v)
        if warning and v.status == "open":
            print(f"  {warning}")
        if v.status == "open":
            print(
                f"  处理：sync conflicts resolve {v.id} --keep current（保留当前版本）"
                f" 或 --keep other（改用另一版本）"
            )
    return 0


def conflicts_resolve(args: argparse.Namespace, ctx: Context) -> int:
    from services.errors import ValidationError

    if args.keep is None and not args.field:
        raise ValidationError(
            "keep",
            "请用 --keep current|other 选择整条保留哪一版，或用 --field 字段=current|other 逐字段选择。",
        )
    choices: dict[str, str] = {}
    for item in args.field:
        name, sep, side = item.partition("=")
        if not sep or not name.strip():
            raise ValidationError(
                "field", f"--field {item} 的写法不对，应为 字段名=current 或 字段名=other。"
            )
        choices[name.strip()] = side.strip()
    from services.county.actions import decide_conflict

    v = decide_conflict(ctx.db(), args.id, choices, default=args.keep or "current", user=ctx.user)
    if args.json:
        emit(v.to_json(), True)
    else:
        print(f"冲突 #{v.id} {STATUS[v.status]}。")
        taken = [k for k, _a, _b in v.differences] if args.keep == "other" else []
        taken += [k for k, side in choices.items() if side == "other"]
        from services.county.conflict_text import choice_warning

        done = choice_warning(None, v, taken)
        if done:
            print(done.replace("注意：改用另一版本会把", "已按另一版本把"))
    return 0


def _county_only(ctx: Context, what: str) -> None:
    from services.county.mode import refuse_on_township

    refuse_on_township(ctx.db(), what, " `sync key device` 查看本机设备指纹，读给县里核对")


def device_list(args: argparse.Namespace, ctx: Context) -> int:
    _county_only(ctx, "设备登记列表（`sync device list`）")
    views = enrollment.list_devices(ctx.db())
    if args.json:
        emit([v.to_json() for v in views], True)
        return 0
    if not views:
        print("还没有任何设备提交过同步包。")
    for v in views:
        extra = f"，{v.held} 个包待登记后导入" if v.held else ""
        if v.refused_file:
            extra += f"，拒收过它交来的包 {v.refused_file}（如要收下：`sync device approve {v.key_id} --reinstate`）"
        if v.needs_rebase:
            extra += f"，待对齐（乡镇记录在该电脑上重建过：`sync device rebase-file {v.key_id} U盘文件夹`）"
        print(
            f"{v.key_id}  乡镇 {v.township_code}  {enrollment.STATUS.get(v.status, v.status)}"
            f"  设备号 {v.device_id[:8]}{extra}"
        )
    return 0


def _after_enroll(args: argparse.Namespace, ctx: Context, view: enrollment.DeviceView, what: str) -> int:
    from services.county.actions import enroll_next_steps

    db = ctx.db()
    results = release_enrolled(db, view.key_id, user=ctx.user)
    acks: list[str] = []
    failed = any(r.status == "rejected" for r in results)
    if args.to is not None:
        streams = {
            x.device_id for r in results for x in (r, *r.released) if x.status in ("imported", "duplicate")
        }
        for stream in sorted(streams):
            try:
                acks.append(str(write_ack(db, stream, args.to).path))
            except SyncError as exc:
                failed = True
                print(f"写回执失败：{exc.message}", file=sys.stderr)
    steps = enroll_next_steps(view, results, acks_written=bool(acks))
    if args.json:
        emit(
            {
                "device": view.to_json(),
                "released": [r.to_json() for r in results],
                "acks": acks,
                "next_steps": steps,
            },
            True,
        )
    else:
        print(f"{what}：设备 {view.key_id}（乡镇 {view.township_code}）。")
        for r in results:
            _print_import(r)
        for ack in acks:
            print(f"已写回执：{ack}")
        for line in steps:
            print(line)
    return 1 if failed else 0


def device_approve(args: argparse.Namespace, ctx: Context) -> int:
    _county_only(ctx, "登记设备（`sync device approve`）")
    view = enrollment.approve(
        ctx.db(), args.fingerprint, additional=args.additional, reinstate=args.reinstate, user=ctx.user
    )
    what = "已恢复登记" if args.reinstate else "已登记为第二台电脑" if args.additional else "已登记"
    code = _after_enroll(args, ctx, view, what)
    if args.reinstate and not args.json:
        print(
            f"设备 {view.key_id} 此前被拒收的包没有保存在县里：请把交来的 U 盘再插上，运行 `county receive U盘文件夹` 重新接收。"
            f"收下后如不再使用这台电脑，请再运行 `sync device revoke {view.key_id}`。"
        )
    return code


def device_replace(args: argparse.Namespace, ctx: Context) -> int:
    _county_only(ctx, "更换设备（`sync device replace`）")
    view = enrollment.replace(ctx.db(), args.old_fingerprint, args.new_fingerprint, user=ctx.user)
    return _after_enroll(args, ctx, view, f"已注销旧设备 {args.old_fingerprint} 并登记新设备")


def device_rebase_file(args: argparse.Namespace, ctx: Context) -> int:
    from services.sync.rebase import write_rebase_file

    out = write_rebase_file(ctx.db(), args.fingerprint, args.folder, user=ctx.user)
    emit(
        {"file": str(out.path), "key_id": out.key_id, "township": out.township_code, "branches": out.branches}
        if args.json
        else f"已写出对齐文件：{out.path}（给乡镇 {out.township_code} 的电脑 {out.key_id}，含乡镇和 {out.branches} 个支部的记录），"
        f"已签名并读回校验。请在乡镇电脑上运行 `sync rebase {out.path.name}`，然后 `sync export U盘文件夹` 导出同步包交给县里。",
        args.json,
    )
    return 0


def sync_rebase(args: argparse.Namespace, ctx: Context) -> int:
    from services.sync.rebase import adopt_rebase_file

    result = adopt_rebase_file(ctx.db(), args.file, user=ctx.user)
    emit(result.to_json() if args.json else result.message, args.json)
    return 0


def device_revoke(args: argparse.Namespace, ctx: Context) -> int:
    _county_only(ctx, "注销设备（`sync device revoke`）")
    view = enrollment.revoke(ctx.db(), args.fingerprint, user=ctx.user)
    emit(
        view.to_json()
        if args.json
        else f"已注销设备 {view.key_id}（乡镇 {view.township_code}），此后它的包一律拒收。"
        + (f"它暂存的 {view.discarded} 个待登记的包已删除。" if view.discarded else ""),
        args.json,
    )
    return 0


def key_device(args: argparse.Namespace, ctx: Context) -> int:
    if getattr(args, "new", False):
        info = keys.device_renew()
        old = f"原密钥（指纹 {info['replaced']}）已另存为 {info['backup']}。\n" if info["replaced"] else ""
        emit(
            info
            if args.json
            else f"已生成新的本机签名密钥，指纹：{info['key_id']}\n{old}"
            "请把新指纹报给县里，县里电话核对后登记，此后导出的包才会被接收。",
            args.json,
        )
        return 0
    info = keys.device_info()
    emit(
        info
        if args.json
        else f"本机签名密钥指纹：{info['key_id']}\n公钥：{info['public_key']}\n文件：{info['file']}",
        args.json,
    )
    return 0


def key_county_generate(args: argparse.Namespace, ctx: Context) -> int:
    db = ctx.db()  # the county key decrypts every township's packages: administrators only, logged
    machine_settings.require_admin(db, "生成县级密钥")
    before = keys.county_show()
    info = keys.county_generate(args.out, force=args.force, db=db)
    machine_settings.record_change(
        db,
        "county_key_generated",
        {"key_id": info["key_id"], "replaced": before["key_id"] if before else "", "force": args.force},
    )
    kept = (
        f"\n原县级密钥（指纹 {before['key_id']}）已另存为备份：{info['backup']}（未删除，"
        "用旧公钥加密的同步包仍可导入）。"
        if before and info["backup"]
        else ""
    )
    emit(
        info
        if args.json
        else f"已生成县级密钥（指纹 {info['key_id']}）。请把公钥文件 {info['file']} 发给各乡镇，"
        f"在乡镇电脑上运行 `sync key county-set 文件`。{kept}",
        args.json,
    )
    return 0


def key_county_set(args: argparse.Namespace, ctx: Context) -> int:
    from services.sync.filekind import county_key_fingerprints

    _wrong(args.file, "county_key", ctx)
    county_key_fingerprints(args.file)  # a damaged key file is named in Chinese before anything is set
    info = keys.county_set(ctx.db(), args.file, replace=args.replace, user=ctx.user)
    if args.json:
        emit(info, True)
    elif info["replaced_key_id"]:
        print(
            f"已更换县级公钥：原指纹 {info['replaced_key_id']}，新指纹 {info['key_id']}。此后导出的同步包用新公钥加密，"
            "只接受新县级电脑的回执。"
        )
    elif info["unchanged"]:
        print(f"县级公钥（指纹 {info['key_id']}）本机已配置，未做更改。")
    else:
        print(f"已配置县级公钥（指纹 {info['key_id']}），此后导出的同步包都会加密。")
    return 0


def key_county_show(args: argparse.Namespace, ctx: Context) -> int:
    info = keys.county_show()
    if info is None:
        raise SyncError("本机没有县级密钥。县级接收电脑请运行 `sync key county-generate 公钥文件`。")
    emit(info if args.json else f"县级公钥指纹：{info['key_id']}\n公钥：{info['x25519']}", args.json)
    return 0
