"""Printing every branch of a township at once, one booklet per branch."""

from __future__ import annotations

from pathlib import Path

import pytest

from main import main
from services.db import Database
from tests.conftest import Builder
from tests.printing import pdfcheck
from tests.printing.conftest import YEAR, PrintFixture


@pytest.mark.slow
def test_township_prints_one_booklet_per_branch_in_parallel(
    db: Database,
    db_path: Path,
    build: Builder,
    branch_year: PrintFixture,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    build.branch("B02", "青山/社区党支部", members=4)
    build.branch("B03", "空壳党总支", members=0)  # nobody, no meetings: no booklet
    out = tmp_path / "全镇"
    out.mkdir()
    args = ["--db", str(db_path), "print-archive", "--township", "T01", "--year", str(YEAR), "--jobs", "2"]
    assert main([*args, str(out)]) == 0
    files = sorted(p.name for p in out.iterdir())
    assert files == [f"B01-红旗村党支部-{YEAR}.pdf", f"B02-青山_社区党支部-{YEAR}.pdf"]
    assert "共 2 册" in capsys.readouterr().out
    second = pdfcheck.texts(out / files[1])
    assert "青山/社区党支部" in pdfcheck.compact(second[0])
    assert all(f["fontfile2"] for f in pdfcheck.fonts(out / files[1]))


def test_township_creates_a_new_folder_but_needs_its_parent_and_the_township(
    db: Database, db_path: Path, branch_year: PrintFixture, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--db", str(db_path), "print-archive", "--year", str(YEAR)]
    assert main([*base, "--township", "T01", str(tmp_path / "nope" / "deeper")]) == 1
    assert "保存位置不存在" in capsys.readouterr().err
    assert not (tmp_path / "nope").exists()
    assert main([*base, "--township", "T01", "--no-forms", str(tmp_path / "新文件夹")]) == 0, (
        capsys.readouterr().err
    )
    assert [p.name for p in (tmp_path / "新文件夹").iterdir()] == [f"B01-红旗村党支部-{YEAR}.pdf"]
    assert main([*base, "--township", "T01", "--year", "1800", str(tmp_path / "旧年")]) == 1
    assert not (tmp_path / "旧年").exists()
    assert main([*base, "--township", "T99", str(tmp_path)]) == 1
    assert "找不到代码为 T99 的乡镇" in capsys.readouterr().err
    assert list(tmp_path.glob("*.pdf")) == []
