"""`main.py --selftest`: exercise the real modules end to end on throw-away data and say what works.

Runs offscreen in a temporary folder (database, user-data folder, keys, outputs): creates demo data,
checks it against the handbook, writes an xlsx, a PDF booklet with a photo, every branch's booklet by
worker processes, and a sync package, reads each back with an independent parser (the PDF's cover is
also rendered as the print preview does, the package is also merged into a second, "county" database),
and renders the main window once. One line per step with its time; the exit code is 0 only when every
step passed. Used on a fresh bundle to prove that everything the bundle needs made it in, and from
source the same way.

The GUI step is handed in by the caller (``main.py``) so that this module, like all of ``services``,
does not import Qt.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import struct
import sys
import tempfile
import time
import traceback
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from sqlalchemy import func, select

from services.db import Database, open_database
from services.errors import LedgerError
from services.version import APP_VERSION

if TYPE_CHECKING:
    from pypdf import PdfReader

WindowRenderer = Callable[[str, Path, str | None], str]
"""(database target, PNG to write, branch code to select) → one-line summary; raises on failure."""


class SelftestFailure(Exception):
    """A step's own check failed (the module ran, but its output is wrong)."""


@dataclass
class Workspace:
    """What the steps share: the temporary folder, the open database and facts found on the way."""

    root: Path
    db: Database | None = None
    branch_id: str = ""
    branch_code: str = ""
    branch_name: str = ""
    year: int = 0
    meeting_id: str = ""
    facts: dict[str, int] = field(default_factory=dict)

    @property
    def db_path(self) -> Path:
        return self.root / "ledger.sqlite"

    def database(self) -> Database:
        if self.db is None:
            raise SelftestFailure("数据库没有打开（“数据库”一步失败）。")
        return self.db


@dataclass
class Step:
    name: str
    run: Callable[[Workspace], str]
    needs: tuple[str, ...] = ()


@dataclass
class StepResult:
    name: str
    ok: bool
    seconds: float
    detail: str


# --- steps -------------------------------------------------------------------------------------


def step_environment(ws: Workspace) -> str:
    from services.db import MIGRATIONS_DIR
    from services.paths import font_path, resources_dir

    frozen = bool(getattr(sys, "frozen", False))
    missing = [
        str(p)
        for p in (resources_dir(), font_path(), MIGRATIONS_DIR / "env.py", MIGRATIONS_DIR / "versions")
        if not p.exists()
    ]
    if missing:
        raise SelftestFailure("缺少随程序提供的文件：" + "、".join(missing))
    where = "安装包" if frozen else "源代码"
    py = ".".join(str(v) for v in sys.version_info[:3])
    return f"支部台账 {APP_VERSION}，运行于{where}（Python {py}），资源目录 {resources_dir()}"


def step_database(ws: Workspace) -> str:
    from services import appversion
    from services.db import current_revision, head_revision

    ws.db = open_database(ws.db_path)
    head = head_revision()
    current = current_revision(ws.db.engine)
    if current != head:
        raise SelftestFailure(f"迁移后数据库版本是 {current}，应为 {head}。")
    with ws.db.engine.connect() as conn:
        recorded = appversion.stored_app_version(conn)
    if recorded != APP_VERSION:
        raise SelftestFailure(f"数据库记录的程序版本是 {recorded}，应为 {APP_VERSION}。")
    return f"新建并迁移到 {head}，记录程序版本 {recorded}"


def step_cli(ws: Workspace) -> str:
    import argparse

    from services import cli

    modules = cli.command_modules()
    if not modules:
        raise SelftestFailure("没有发现任何命令模块（services/cli）。")
    parser = argparse.ArgumentParser(prog="selftest")
    sub = parser.add_subparsers(dest="command")
    empty: list[str] = []
    total = 0
    for name in modules:
        before = len(sub.choices)
        importlib.import_module(f"{cli.__name__}.{name}").register(sub)
        added = len(sub.choices) - before
        total += added
        if added == 0:
            empty.append(name)
    if empty:
        raise SelftestFailure("命令模块没有注册任何命令：" + "、".join(empty))
    return f"{len(modules)} 个命令模块、{total} 条命令：{', '.join(modules)}"


def step_demo(ws: Workspace) -> str:
    from models import Branch, Meeting, Member, Township
    from services import demo

    summary = demo.generate(ws.database(), "small", seed=1, user="selftest")
    with ws.database().reader() as s:
        counts = {
            model.__tablename__: int(s.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Township, Branch, Member, Meeting)
        }
        branch = s.execute(
            select(Branch.id, Branch.code, Branch.name, func.count(Meeting.id))
            .join(Meeting, Meeting.branch_id == Branch.id)
            .where(Meeting.deleted.is_(False))
            .group_by(Branch.id)
            .order_by(func.count(Meeting.id).desc(), Branch.code)
        ).first()
        if branch is None:
            raise SelftestFailure("演示数据里没有任何会议记录。")
        meeting = s.execute(
            select(Meeting.id, Meeting.held_on)
            .where(Meeting.branch_id == branch.id, Meeting.deleted.is_(False))
            .order_by(Meeting.held_on.desc())
        ).first()
        assert meeting is not None
    empty = [name for name, n in counts.items() if n == 0]
    if empty:
        raise SelftestFailure("演示数据缺少：" + "、".join(empty))
    for table in ("member", "meeting"):
        if table in summary.rows and summary.rows[table] != counts[table]:
            raise SelftestFailure(
                f"演示数据报告 {table} {summary.rows[table]} 行，数据库里有 {counts[table]} 行。"
            )
    ws.facts.update(counts)
    ws.branch_id, ws.branch_code, ws.branch_name = branch.id, branch.code, branch.name
    ws.meeting_id, ws.year = meeting.id, meeting.held_on.year
    return (
        f"乡镇 {counts['township']} 个、党组织 {counts['branch']} 个、党员 {counts['member']} 人、"
        f"会议 {counts['meeting']} 次（共 {summary.total_rows} 行）"
    )


def step_handbook(ws: Workspace) -> str:
    from services.handbook import engine, pack, period

    rules = pack.load_pack()
    span = period.year(ws.year)
    with ws.database().reader() as s:
        result = engine.evaluate(s, rules, span, as_of=date.today())
    checked = {b.code for b in result.branches}
    if ws.branch_code not in checked or len(checked) < ws.facts.get("branch", 1):
        raise SelftestFailure(f"检查只覆盖了 {len(checked)} 个党组织，应为 {ws.facts.get('branch')} 个。")
    if set(result.stars) != {b.id for b in result.branches}:
        raise SelftestFailure("有党组织没有得到星级评定。")
    levels: dict[str, int] = {}
    for finding in result.findings:
        levels[finding.importance] = levels.get(finding.importance, 0) + 1
    shown = "、".join(f"{k} {v}" for k, v in sorted(levels.items())) or "无"
    return f"规则包 {result.pack_id} {result.pack_version}，{span.label} 年 {len(checked)} 个党组织，发现：{shown}"


def step_excel(ws: Workspace) -> str:
    from openpyxl import load_workbook

    from services.excel import export

    out = ws.root / "out" / "党员花名册.xlsx"
    out.parent.mkdir(exist_ok=True)
    with ws.database().reader() as s:
        report = export.export_xlsx(s, "members", out)
    # Read back with openpyxl (the exporter verifies with calamine; a second parser proves more).
    wb = load_workbook(out, read_only=True)
    try:
        sheet = wb.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
    finally:
        wb.close()
    if not rows or not any(rows[0]):
        raise SelftestFailure(f"{out.name} 没有表头。")
    data = [r for r in rows[1:] if any(v not in (None, "") for v in r)]
    if len(data) != report.rows or report.rows == 0:
        raise SelftestFailure(f"{out.name} 读回 {len(data)} 行，导出时报告 {report.rows} 行。")
    return f"{out.name}：工作表“{sheet.title}”，{len(rows[0])} 列、{len(data)} 行，{out.stat().st_size} 字节"


def png_bytes(width: int = 96, height: int = 64) -> bytes:
    """A small colourful RGB PNG, made without any imaging library (it is the test input)."""
    raw = b"".join(
        b"\x00" + b"".join(bytes(((x * 255) // width, (y * 255) // height, 160)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def step_pdf(ws: Workspace) -> str:
    from pypdf import PdfReader

    from services import attachments
    from services.printing import booklet, render

    photo = ws.root / "会议照片.png"
    photo.write_bytes(png_bytes())
    db = ws.database()
    with db.transaction("selftest") as s:
        attachments.store_file(s, "meeting", ws.meeting_id, photo, kind="photo", caption="自检照片")
    out = ws.root / "out" / f"{ws.branch_code}-{ws.year}.pdf"
    out.parent.mkdir(exist_ok=True)
    with db.reader() as s:
        result = booklet.print_branch_booklet(s, ws.branch_id, ws.year, out)
    reader = PdfReader(str(out))
    pages = len(reader.pages)
    if pages != result.pages or pages < 2:
        raise SelftestFailure(f"{out.name} 读回 {pages} 页，生成时报告 {result.pages} 页。")
    images = sum(len(page.images) for page in reader.pages)
    if images == 0:
        raise SelftestFailure(f"{out.name} 里没有会议照片（图片处理模块可能缺失）。")
    text = "".join(page.extract_text() or "" for page in reader.pages[:3])
    if ws.branch_name not in text:
        raise SelftestFailure(
            f"{out.name} 前几页的文字里找不到支部名称“{ws.branch_name}”（中文字体可能未嵌入）。"
        )
    fonts = _pdf_fonts(reader)
    # The print preview renders pages with PDFium: the cover must come out as a real picture.
    preview = render.PdfPages(out.read_bytes())
    try:
        cover = preview.image(0, 40)
    finally:
        preview.close()
    extrema = cover.convert("L").getextrema()
    if cover.width < 100 or not isinstance(extrema, tuple) or extrema[0] == extrema[1]:
        raise SelftestFailure(f"{out.name} 的预览图是空白的（PDF 渲染模块可能缺失）。")
    return (
        f"{out.name}：{pages} 页、{images} 张图片、字体 {', '.join(sorted(fonts)) or '无'}，"
        f"{out.stat().st_size // 1024} KB，预览 {cover.width}×{cover.height}"
    )


def step_township_pdf(ws: Workspace) -> str:
    """Every branch's booklet by worker processes, as 打印 → 全乡镇 does (spawned workers in the bundle)."""
    from pypdf import PdfReader

    from models import Township
    from services.printing import booklet, township

    with ws.database().reader() as s:
        town = s.scalars(select(Township).where(Township.deleted.is_(False))).first()
        if town is None:
            raise SelftestFailure("没有乡镇可打印。")
        town_id = town.id
    outdir = ws.root / "out" / "township"
    outdir.mkdir(parents=True)
    options = booklet.BookletOptions(include_forms=False)
    results = township.print_township(str(ws.db_path), town_id, ws.year, outdir, jobs=2, options=options)
    if len(results) < 2:
        raise SelftestFailure(f"全乡镇只打印了 {len(results)} 册。")
    for result in results:
        pages = len(PdfReader(str(result.path)).pages)
        if pages != result.pages:
            raise SelftestFailure(f"{result.path.name} 读回 {pages} 页，生成时报告 {result.pages} 页。")
    return f"{len(results)} 册（2 个工作进程），共 {sum(r.pages for r in results)} 页"


def _pdf_fonts(reader: PdfReader) -> set[str]:
    fonts: set[str] = set()
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            name = str(font.get_object().get("/BaseFont", ""))
            fonts.add(name.split("+")[-1].lstrip("/"))
    return fonts


def step_sync(ws: Workspace) -> str:
    from services.sync import enrollment, exporter, package, receiver

    outdir = ws.root / "u-disk"
    outdir.mkdir(exist_ok=True)
    result = exporter.export_package(ws.database(), outdir, full=True, user="selftest")
    opened = package.read_package(result.path)
    if opened.package_id != result.package_id:
        raise SelftestFailure(f"同步包 {result.file_name} 读回的校验值与导出时不同。")
    read_rows = {name: len(rows) for name, rows in opened.rows.items() if rows}
    if read_rows != {k: v for k, v in result.rows_by_table.items() if v}:
        raise SelftestFailure(f"同步包 {result.file_name} 读回的行数与导出时不同。")
    for table in ("member", "meeting"):
        if read_rows.get(table, 0) < ws.facts.get(table, 0):
            raise SelftestFailure(
                f"同步包里的 {table} 只有 {read_rows.get(table, 0)} 行，数据库里有 {ws.facts[table]} 行。"
            )
    if result.attachments < 1 or not opened.blobs:
        raise SelftestFailure("同步包里没有附件（会议照片）。")
    # Then merge it as the county would, into a database of its own.
    county = open_database(ws.root / "county.sqlite")
    try:
        m = opened.manifest  # the county enrols this laptop first (a person compares the fingerprint)
        enrollment.register(county, m.device_public_key, m.township_code, m.township_id, user="selftest")
        merged = receiver.import_package(county, result.path, user="selftest")
    finally:
        county.close()
    if merged.status != "imported" or sum(merged.inserted.values()) != result.total_rows:
        raise SelftestFailure(
            f"县级导入结果：{merged.message}（新增 {sum(merged.inserted.values())} 行，应为 {result.total_rows} 行）"
        )
    return (
        f"{result.file_name}：{len(read_rows)} 张表 {sum(read_rows.values())} 行、附件 {len(opened.blobs)} 个，"
        f"签名与校验通过，县级库导入 {merged.rows_written} 行，{result.size // 1024} KB"
    )


def make_window_step(render: WindowRenderer | None) -> Callable[[Workspace], str]:
    def step_window(ws: Workspace) -> str:
        if render is None:
            raise SelftestFailure("没有提供界面渲染（请通过 main.py --selftest 运行）。")
        if ws.db is not None:
            ws.db.close()  # the window opens the database itself, as the app does
            ws.db = None
        png = ws.root / "out" / "main-window.png"
        return render(str(ws.db_path), png, ws.branch_code or None)

    return step_window


def steps(render_window: WindowRenderer | None) -> list[Step]:
    return [
        Step("环境", step_environment),
        Step("数据库", step_database),
        Step("命令行", step_cli),
        Step("演示数据", step_demo, needs=("数据库",)),
        Step("台账检查", step_handbook, needs=("演示数据",)),
        Step("Excel 导出", step_excel, needs=("演示数据",)),
        Step("PDF 台账", step_pdf, needs=("演示数据",)),
        Step("全乡镇打印", step_township_pdf, needs=("演示数据",)),
        Step("同步包", step_sync, needs=("PDF 台账",)),  # the photo attached there must travel too
        Step("主窗口", make_window_step(render_window), needs=("数据库",)),
    ]


# --- running -----------------------------------------------------------------------------------


@contextlib.contextmanager
def _isolated(root: Path) -> Iterator[None]:
    """User data (keys, attachments of non-file databases) in the temp folder; Qt offscreen."""
    saved = {k: os.environ.get(k) for k in ("LEDGER_DATA_DIR", "QT_QPA_PLATFORM")}
    os.environ["LEDGER_DATA_DIR"] = str(root / "userdata")
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _describe(exc: BaseException) -> str:
    if isinstance(exc, LedgerError | SelftestFailure):
        return str(exc)
    if isinstance(exc, ImportError):
        # A feature module that is not in this build must fail loudly, never be skipped.
        what = exc.name if isinstance(exc, ModuleNotFoundError) else str(exc)
        return f"缺少模块 {what}（该功能未包含在本版本中，或打包时遗漏）"
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f"（{Path(frame.filename).name}:{frame.lineno}）" if frame else ""
    return f"{type(exc).__name__}: {exc}{where}"


def run(
    render_window: WindowRenderer | None = None,
    *,
    out: TextIO | None = None,
    keep: Path | None = None,
    only: list[Step] | None = None,
) -> int:
    """Run every step; print one line each and a summary. Returns 0 only if all passed.

    ``keep``: work in this folder and leave the files there (for a look at the outputs).
    """
    stream = out or sys.stdout
    results: list[StepResult] = []
    with contextlib.ExitStack() as stack:
        if keep is None:
            # Windows may still hold a file of the last step open for a moment: never fail on cleanup.
            tmp = tempfile.TemporaryDirectory(prefix="ledger-selftest-", ignore_cleanup_errors=True)
            root = Path(stack.enter_context(tmp))
        else:
            root = keep
            root.mkdir(parents=True, exist_ok=True)
        stack.enter_context(_isolated(root))
        ws = Workspace(root)
        print(f"支部台账 {APP_VERSION} 自检（临时目录 {root}）", file=stream, flush=True)
        passed: set[str] = set()
        started = time.perf_counter()
        for step in only or steps(render_window):
            t0 = time.perf_counter()
            missing = [n for n in step.needs if n not in passed]
            if missing:
                ok, detail = False, f"未执行：前提步骤“{'、'.join(missing)}”失败"
            else:
                try:
                    ok, detail = True, step.run(ws)
                except Exception as exc:
                    ok, detail = False, _describe(exc)
            seconds = time.perf_counter() - t0
            results.append(StepResult(step.name, ok, seconds, detail))
            if ok:
                passed.add(step.name)
            mark = "通过" if ok else "失败"
            print(f"[{mark}] {seconds:6.2f} 秒  {step.name}：{detail}", file=stream, flush=True)
        if ws.db is not None:
            ws.db.close()
    failed = [r.name for r in results if not r.ok]
    total = time.perf_counter() - started
    if failed:
        print(f"自检失败：{len(failed)} 项未通过（{'、'.join(failed)}），用时 {total:.1f} 秒。", file=stream)
        return 1
    print(f"自检通过：{len(results)} 项全部通过，用时 {total:.1f} 秒。", file=stream)
    return 0
