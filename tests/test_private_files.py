"""Exported results and saved logs: 0600 files, bare names in the export directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from staging_tui.config import Settings, default_export_dir, parse_config
from staging_tui.db.export import write_csv
from staging_tui.domain import Column
from staging_tui.private_files import export_path, open_private


def test_bare_names_go_to_the_export_dir_and_paths_are_kept(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    assert export_path(exports, "q.csv") == exports / "q.csv"
    assert export_path(exports, tmp_path / "elsewhere" / "q.csv") == tmp_path / "elsewhere" / "q.csv"
    assert export_path(exports, "sub/q.csv") == Path.cwd() / "sub" / "q.csv"


def test_files_are_written_0600_in_a_0700_directory(tmp_path: Path) -> None:
    target = export_path(tmp_path / "new" / "dir", "result.csv")
    assert write_csv(target, (Column("a"),), [(1,), (None,)]) == 2
    assert target.read_bytes() == b'"a"\r\n1\r\n\r\n'
    assert target.stat().st_mode & 0o777 == 0o600
    assert target.parent.stat().st_mode & 0o777 == 0o700
    target.chmod(0o644)                     # an existing file is made private again
    with open_private(target) as fh:
        fh.write("x")
    assert target.stat().st_mode & 0o777 == 0o600


def test_the_export_dir_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_export_dir() == tmp_path / "staging-tui" / "exports"
    assert Settings("p", "proj").exports == tmp_path / "staging-tui" / "exports"
    settings = parse_config('[profiles.p]\nproject = "x"\nexport_dir = "~/out"\n', "f.toml")
    assert settings.exports == Path.home() / "out"
    assert parse_config('[profiles.p]\nproject = "x"\n', "f.toml").max_statement_bytes == 1_000_000
