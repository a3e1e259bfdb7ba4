"""What the audit log costs a bulk save: members saved in one transaction through the services,
with the hash-chained log on (as shipped) and off (``session.info["audit_off"]``), and how long
``audit verify`` takes over the resulting log. Prints figures; asserts nothing."""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services import audit, idcard, members, org
from services.db import open_database

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
TODAY = date(2026, 11, 24)


def run(audit_on: bool) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(Path(tmp) / "bench.sqlite")
        with db.transaction("bench") as s:
            t = org.create_township(s, "T01", "测试镇")
            b = org.create_branch(s, t.id, "B01", "一村党支部", founded_on=date(2000, 1, 1), today=TODAY)
        started = time.perf_counter()
        with db.transaction("bench") as s:
            s.info["audit_off"] = not audit_on
            for n in range(N):
                birth = date(1940 + n % 40, 1 + n % 12, 1 + n % 28)
                data = members.MemberInput(
                    f"党员{n}", idcard.make("620421", birth, n % 997 + 1), date(2005, 7, 1)
                )
                members.create_member(s, b.id, data, today=TODAY)
        elapsed = time.perf_counter() - started
        if audit_on:
            with db.reader() as s:
                t0 = time.perf_counter()
                result = audit.verify(s)
                print(
                    f"audit verify: {result.checked} entries in {time.perf_counter() - t0:.2f} s (ok={result.ok})"
                )
        db.close()
        return elapsed


def main() -> None:
    # alternate and keep the best of three: a shared machine's noise is larger than the difference
    offs, ons = [], []
    for _ in range(3):
        offs.append(run(False))
        ons.append(run(True))
    off, on = min(offs), min(ons)
    print(f"{N} members in one transaction (best of 3): audit off {off:.2f} s, audit on {on:.2f} s")
    print(f"audit overhead: {(on - off) / off * 100:.0f} % ({(on - off) / N * 1000:.2f} ms per record)")


if __name__ == "__main__":
    main()
