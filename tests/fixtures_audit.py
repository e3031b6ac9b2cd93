"""The audit trail a test's actions wrote: under the test's own state dir (conftest's
isolated_state_dir), one dict a line, [] before the first action."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from staging_tui.audit_trail import default_trail_path

AuditEntries = Callable[[], list[dict[str, Any]]]


def read_trail() -> list[dict[str, Any]]:
    path = default_trail_path()
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def trail(isolated_state_dir: Path) -> AuditEntries:
    """Call it to read the entries written so far."""
    return read_trail
