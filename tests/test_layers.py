"""The house rules: import-linter contracts, and what importing the UI pulls in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _modules_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint('\\n'.join(sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(proc.stdout.split())


def test_ui_import_pulls_in_neither_google_nor_sandbox() -> None:
    mods = _modules_after("import staging_tui.ui.app")
    assert not {m for m in mods if m.startswith(("google", "grpc"))}
    assert not {m for m in mods if m.startswith("staging_tui.sandbox")}


def test_non_ui_layers_never_import_textual() -> None:
    mods = _modules_after(
        "import staging_tui.gcp.run, staging_tui.backend, staging_tui.env_rules, "
        "staging_tui.render.services, staging_tui.sandbox.server, staging_tui.cli"
    )
    assert not {m for m in mods if m.startswith("textual")}
