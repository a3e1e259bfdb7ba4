"""The booklets of every branch of a township for one year, one PDF per branch, optionally in parallel.

Each worker process opens the database itself (sessions never cross processes) and lays out whole
booklets; the largest branches go first so the workers finish together.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

from sqlalchemy import and_, func, select

from models import Branch, Meeting, Member, Township
from services.dates import in_year
from services.db import open_database
from services.errors import NotFound
from services.printing import sections
from services.printing.booklet import BookletOptions, PrintResult, check_year, print_branch_booklet
from services.printing.errors import OutputError

_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def booklet_filename(code: str, name: str, year: int) -> str:
    """A file name that is valid on Windows too: 「B101-马坪村党支部-2025.pdf」."""
    return f"{_UNSAFE.sub('_', code)}-{_UNSAFE.sub('_', name)}-{year}.pdf"


def branches_to_print(db_target: str, township_id: str, year: int) -> list[tuple[str, str, str, int]]:
    """(id, code, name, weight) of every organisation with members or meetings in the year, largest first."""
    db = open_database(db_target, migrate_now=False)
    try:
        with db.reader() as s:
            if s.get(Township, township_id) is None:
                raise NotFound("找不到该乡镇。")
            members = dict(
                s.execute(
                    select(Member.branch_id, func.count())
                    .where(Member.deleted.is_(False), Member.township_id == township_id)
                    .group_by(Member.branch_id)
                ).all()
            )
            meetings = dict(
                s.execute(
                    select(Meeting.branch_id, func.count())
                    .join(Branch, Branch.id == Meeting.branch_id)
                    .where(
                        and_(
                            Branch.township_id == township_id,
                            Meeting.deleted.is_(False),
                            *in_year(Meeting.held_on, year),
                        )
                    )
                    .group_by(Meeting.branch_id)
                ).all()
            )
            branches = s.execute(
                select(Branch.id, Branch.code, Branch.name)
                .where(Branch.township_id == township_id, Branch.deleted.is_(False))
                .order_by(Branch.sort_order, Branch.code)
            ).all()
    finally:
        db.close()
    out = [
        (b.id, b.code, b.name, int(members.get(b.id, 0)) + 3 * int(meetings.get(b.id, 0)))
        for b in branches
        if members.get(b.id) or meetings.get(b.id)
    ]
    return sorted(out, key=lambda t: -t[3])


def _print_one(args: tuple[str, str, int, str, BookletOptions]) -> PrintResult:
    db_target, branch_id, year, out, options = args
    db = open_database(db_target, migrate_now=False)
    try:
        with db.reader() as s:
            return print_branch_booklet(s, branch_id, year, out, options)
    finally:
        db.close()


def print_township(
    db_target: str,
    township_id: str,
    year: int,
    out_dir: str | Path,
    *,
    jobs: int = 1,
    options: BookletOptions | None = None,
) -> list[PrintResult]:
    """Writes one verified booklet per branch into ``out_dir``; returns them sorted by file name.

    A folder that does not exist yet is created when its parent exists (a clerk types a new folder
    name), and removed again if nothing could be printed into it; a missing parent or a file in the
    way raises ``OutputError``."""
    check_year(year)
    folder = Path(out_dir).expanduser()
    created = False
    if not folder.exists() and folder.parent.is_dir():
        try:
            folder.mkdir()
        except OSError as exc:
            raise OutputError(f"无法建立文件夹 {folder}（{exc.strerror}）。请检查权限或换一个位置。") from exc
        created = True
    if not folder.is_dir():
        raise OutputError(f"保存位置不存在：{folder}。请先建立该文件夹或换一个位置。")
    try:
        return _print_into(db_target, township_id, year, folder, jobs, options)
    except BaseException:
        if created and not any(folder.iterdir()):
            folder.rmdir()
        raise


def _print_into(
    db_target: str,
    township_id: str,
    year: int,
    folder: Path,
    jobs: int,
    options: BookletOptions | None,
) -> list[PrintResult]:
    todo = branches_to_print(db_target, township_id, year)
    opts = options or BookletOptions()
    if opts.ledgers is None:  # read the pack in use once, not once per branch (workers get the result)
        opts = replace(opts, ledgers=sections.pack_ledgers())
    work = [
        (db_target, bid, year, str(folder / booklet_filename(code, name, year)), opts)
        for bid, code, name, _ in todo
    ]
    jobs = max(1, min(jobs, len(work), os.cpu_count() or 1))
    if jobs == 1:
        results = [_print_one(w) for w in work]
    else:
        # spawn, not fork: the GUI process has Qt and worker threads that a fork would copy mid-state;
        # it is also what Windows does anyway.
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            results = list(pool.map(_print_one, work))
    return sorted(results, key=lambda r: r.path.name)
