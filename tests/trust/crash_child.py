"""Child process of the crash-safety test.

Imports the services once, then for each ``go START`` line on stdin forks a writer that saves
members one transaction at a time and prints each id only after its commit returned. The test
kills the writer with SIGKILL and sends ``reap PID``; the answer ``dead PID`` comes after everything
the writer printed. Forking keeps each round at milliseconds instead of a fresh interpreter.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services import idcard, members
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


def main(db_path: str, branch_id: str) -> None:
    print("ready", flush=True)
    for line in sys.stdin:
        cmd, arg = line.split()
        if cmd == "go":
            pid = os.fork()
            if pid == 0:
                try:
                    write_forever(db_path, branch_id, int(arg))
                finally:
                    os._exit(3)  # a writer never returns into the parent's loop
            print(f"pid {pid}", flush=True)
        elif cmd == "reap":
            os.waitpid(int(arg), 0)
            print(f"dead {arg}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
