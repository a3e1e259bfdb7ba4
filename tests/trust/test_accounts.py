"""Accounts: first administrator, growing delay and lock after wrong passwords, CLI credentials."""

from __future__ import annotations

import os
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from models import AuditEntry, UserAccount, utcnow
from services import accounts
from services.db import Database
from services.errors import PermissionDenied, ValidationError
from tests.trust.conftest import PASSWORD, People


def test_first_admin_only_once_and_password_hashed_with_argon2id(db: Database) -> None:
    with db.transaction() as s:
        assert not accounts.has_accounts(s)
        accounts.create_first_admin(s, "admin", "管理员", PASSWORD)
    with db.reader() as s:
        stored = s.scalars(select(UserAccount.password_hash)).one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    with pytest.raises(PermissionDenied, match="已有账号"), db.transaction() as s:
        accounts.create_first_admin(s, "other", "", PASSWORD)


@pytest.mark.parametrize("bad", ["short1", "        aaaaa", "aaaaaaaaaaaa"])
def test_weak_passwords_are_refused_with_a_reason(db: Database, bad: str) -> None:
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        accounts.create_first_admin(s, "admin", "", bad)
    assert err.value.field == "password" and "密码" in err.value.message


def _lock_state(db: Database, name: str) -> tuple[int, object]:
    with db.reader() as s:
        user = s.scalars(select(UserAccount).where(UserAccount.username == name)).one()
        return user.failed_attempts, user.locked_until


def test_wrong_password_delays_grow_then_the_account_locks(db: Database, people: People) -> None:
    now = utcnow()
    waits = []
    for _attempt in range(accounts.LOCK_AFTER):
        with pytest.raises(accounts.LoginRefused) as err:
            accounts.login(db, "editor", "wrong-password", now=now)
        assert err.value.message == accounts.REFUSED
        _count, until = _lock_state(db, "editor")
        waits.append(round((until - now).total_seconds()))  # type: ignore[operator]
        # trying again at once is refused without even checking the password, in the same words
        with pytest.raises(accounts.LoginRefused) as again:
            accounts.login(db, "editor", PASSWORD, now=now)
        assert again.value.message == accounts.REFUSED
        now += timedelta(seconds=waits[-1] + 1)
    assert waits[:4] == [1, 2, 4, 8] and waits[-1] == accounts.LOCK_MINUTES * 60
    with pytest.raises(accounts.LoginRefused):
        accounts.login(db, "editor", PASSWORD, now=now - timedelta(minutes=1))
    with db.transaction("admin") as s:  # an administrator unlocks
        accounts.unlock(s, "editor")
    assert accounts.login(db, "editor", PASSWORD, now=now).username == "editor"
    with db.reader() as s:
        failures = s.scalars(
            select(AuditEntry.changes).where(AuditEntry.changes.like("%login_failed%"))
        ).all()
    assert len(failures) == accounts.LOCK_AFTER


def test_parallel_logins_get_exactly_five_guesses(
    db: Database, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accounts, "MAX_DELAY_SECONDS", 0)  # no pause between guesses: only the count
    checks: list[str] = []
    real = accounts._get_hasher()

    class Counting(type(real)):  # type: ignore[misc]
        def verify(self, hash: str, password: str) -> bool:
            if hash != accounts._dummy:
                checks.append(password)
            return super().verify(hash, password)

    monkeypatch.setattr(accounts, "_hasher", Counting(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(accounts, "_dummy", accounts._hasher.hash("not a password of anyone"))

    errors: list[BaseException] = []

    def guess(n: int) -> None:
        for k in range(3):
            try:
                accounts.login(db, "editor", f"guess-{n}-{k}")
            except accounts.LoginRefused:
                pass
            except Exception as exc:  # e.g. "database is locked": must not happen
                errors.append(exc)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(checks) == accounts.LOCK_AFTER  # 30 tries at once, exactly 5 real password checks
    count, until = _lock_state(db, "editor")
    assert count == accounts.LOCK_AFTER and until is not None
    with pytest.raises(accounts.LoginRefused):  # locked: even the right password is refused now
        accounts.login(db, "editor", PASSWORD)


def test_unknown_and_locked_accounts_answer_like_a_real_check(
    db: Database, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashed: list[str] = []
    real = accounts._get_hasher()

    class Counting(type(real)):  # type: ignore[misc]
        def verify(self, hash: str, password: str) -> bool:
            hashed.append(hash)
            return super().verify(hash, password)

    monkeypatch.setattr(accounts, "_hasher", Counting(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(accounts, "_dummy", accounts._hasher.hash("not a password of anyone"))

    def refused(name: str, password: str) -> str:
        before = len(hashed)
        with pytest.raises(accounts.LoginRefused) as err:
            accounts.login(db, name, password)
        assert len(hashed) == before + 1  # one full argon2 check whatever the case: same time
        return err.value.message

    wrong = refused("editor", "wrong-password")
    unknown = refused("nobody-here", "wrong-password")
    waiting = refused("editor", "wrong-again")  # inside the pause after a failure
    assert wrong == unknown == waiting == accounts.REFUSED  # nothing tells which names exist
    assert hashed[-2] == hashed[-1] == accounts._dummy  # unknown and waiting: the dummy hash


def test_unknown_user_and_disabled_account_are_refused(db: Database, people: People) -> None:
    with pytest.raises(accounts.LoginRefused, match="用户名或密码不正确"):
        accounts.login(db, "nobody", PASSWORD)
    with db.transaction("admin") as s:
        accounts.set_active(s, "editor", False)
    with pytest.raises(accounts.LoginRefused, match="停用"):
        accounts.login(db, "editor", PASSWORD)


def test_the_last_administrator_cannot_be_demoted(db: Database, people: People) -> None:
    with pytest.raises(ValidationError, match="最后一个管理员"), db.transaction("admin") as s:
        accounts.set_role(s, "admin", "editor")


def _main(*argv: str) -> int:
    from main import main

    return main(list(argv))


def test_cli_without_accounts_runs_as_local_administrator(db_path: Path) -> None:
    assert _main("--db", str(db_path), "township", "add", "T01", "城关镇") == 0


def test_cli_needs_credentials_once_accounts_exist(
    db: Database,
    db_path: Path,
    people: People,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    d = str(db_path)
    assert _main("--db", d, "township", "add", "T01", "城关镇") == 1
    assert "--password-file" in capsys.readouterr().err
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD + "\n", encoding="utf-8")
    pw.chmod(0o600)
    assert (
        _main("--db", d, "--user", "editor", "--password-file", str(pw), "township", "add", "T01", "城关镇")
        == 0
    )
    monkeypatch.setenv("LEDGER_PASSWORD", PASSWORD)
    assert _main("--db", d, "--user", "editor", "township", "add", "T02", "河西镇") == 0
    monkeypatch.setenv("LEDGER_PASSWORD", "wrong")
    assert _main("--db", d, "--user", "editor", "township", "add", "T03", "河东镇") == 1
    assert "用户名或密码不正确" in capsys.readouterr().err
    with db.reader() as s:
        users = set(s.scalars(select(AuditEntry.user).where(AuditEntry.table_name == "township")))
    assert users == {"editor"}


def test_local_admin_flag_works_for_the_file_owner_and_is_logged(
    db: Database, db_path: Path, people: People
) -> None:
    assert _main("--db", str(db_path), "--local-admin", "township", "add", "T09", "本机镇") == 0
    with db.reader() as s:
        users = set(s.scalars(select(AuditEntry.user).where(AuditEntry.table_name == "township")))
        events = s.scalars(select(AuditEntry.changes).where(AuditEntry.action == "event")).all()
    assert len(users) == 1 and users.pop().startswith("local-admin:")
    assert any("local_admin" in e and "township add" in e for e in events)


def test_cli_account_management(db: Database, db_path: Path, tmp_path: Path) -> None:
    d = str(db_path)
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD, encoding="utf-8")
    pw.chmod(0o600)
    assert _main("--db", d, "account", "init", "boss", "--new-password-file", str(pw)) == 0
    login = ["--db", d, "--user", "boss", "--password-file", str(pw)]
    assert _main(*login, "account", "add", "clerk", "--role", "editor", "--new-password-file", str(pw)) == 0
    assert _main(*login, "account", "role", "clerk", "viewer") == 0
    assert _main(*login, "account", "list") == 0
    with db.reader() as s:
        assert s.scalars(select(UserAccount.role).where(UserAccount.username == "clerk")).one() == "viewer"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_world_readable_password_file_is_refused_and_a_notepad_bom_is_not_part_of_the_password(
    db: Database, db_path: Path, people: People, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import main

    pw = tmp_path / "pw.txt"
    pw.write_bytes(b"\xef\xbb\xbf" + PASSWORD.encode() + b"\r\n")  # Notepad: BOM and CRLF
    pw.chmod(0o644)
    argv = [
        "--db",
        str(db_path),
        "--user",
        "admin",
        "--password-file",
        str(pw),
        "township",
        "add",
        "T01",
        "镇",
    ]
    assert main.main(argv) == 1
    assert "所有人都能读取" in capsys.readouterr().err
    pw.chmod(0o600)
    assert main.main(argv) == 0, capsys.readouterr().err
