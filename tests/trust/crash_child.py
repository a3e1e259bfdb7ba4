"""Child process of the crash-safety tests.

Imports the services once, then for each command line on stdin forks a worker the test kills with
SIGKILL at a random moment (``reap PID`` answers ``dead PID`` after everything the worker printed).
Forking keeps each round at milliseconds instead of a fresh interpreter. Workers:

- ``go START``: saves members one transaction at a time, printing each id after its commit returned;
- ``cli START BRANCH_CODE``: the same through ``main.py member add`` (the CLI's own output);
- ``migrate``: opens (and so upgrades) the database, printing ``opened`` at the end;
- ``backup START``: automatic backups, one a simulated minute apart, printing each file's name;
- ``restore FILE``: restores FILE over the database again and again, printing ``restored`` each time.
"""

from __future__ import annotations

import os
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import main as entry
from services import cli, idcard, members
from services.db import open_database

TODAY = date(2026, 11, 24)


def _id(n: int) -> str:
    birth = date(1940 + n % 40, 1 + n % 12, 1 + n % 28)  # distinct valid numbers, all adults in 2005
    return idcard.make("620421", birth, n % 997 + 1)


def write_forever(db_path: str, branch_id: str, start: int) -> None:
    db = open_database(db_path, migrate_now=False)  # the test migrated it
    n = start
    while True:
        n += 1
        data = members.MemberInput(name=f"崩溃测试{n}", id_number=_id(n), joined_on=date(2005, 7, 1))
        with db.transaction("crash-test") as s:
            member_id = members.create_member(s, branch_id, data, today=TODAY).id
        os.write(1, f"{member_id}\n".encode())


def cli_forever(db_path: str, branch_code: str, start: int) -> None:
    n = start
    while True:
        n += 1
        argv = ["member", "add", "--branch", branch_code, "--name", f"命令行{n}", "--id-number", _id(n)]
        entry.main(["--db", db_path, *argv, "--joined", "2005-07-01", "--json"])  # the full id, for the test
        sys.stdout.flush()  # what main printed (after its commit) reaches the test now, not at exit


def migrate_once(db_path: str) -> None:
    open_database(db_path).close()
    os.write(1, b"opened\n")


def backup_forever(db_path: str, start: int) -> None:
    from services import backup

    db = open_database(db_path, migrate_now=False)
    n = start
    while True:
        n += 1
        made = backup.auto_backup(db, 3, now=datetime(2026, 11, 1) + timedelta(minutes=n))
        assert made is not None
        os.write(1, f"{made.path.name}\n".encode())


def restore_forever(db_path: str, source: str) -> None:
    from services import backup

    db = open_database(db_path, migrate_now=False)
    while True:
        backup.restore(db, Path(source))
        os.write(1, b"restored\n")


def _work(db_path: str, branch_id: str, cmd: str, args: list[str]) -> None:
    if cmd == "go":
        write_forever(db_path, branch_id, int(args[0]))
    elif cmd == "cli":
        cli_forever(db_path, args[1], int(args[0]))
    elif cmd == "migrate":
        migrate_once(db_path)
    elif cmd == "backup":
        backup_forever(db_path, int(args[0]))
    elif cmd == "restore":
        restore_forever(db_path, args[0])


def main(db_path: str, branch_id: str) -> None:
    _parser, sub = entry._parser()
    cli.register_every(sub)  # imports every command module once, before forking
    print("ready", flush=True)
    for line in sys.stdin:
        cmd, *args = line.split()
        if cmd != "reap":
            pid = os.fork()
            if pid == 0:
                try:
                    _work(db_path, branch_id, cmd, args)
                finally:
                    os._exit(3)  # a worker never returns into the parent's loop
            print(f"pid {pid}", flush=True)
        else:
            os.waitpid(int(args[0]), 0)
            print(f"dead {args[0]}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
