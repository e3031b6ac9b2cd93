"""Fix commands that work when pasted: `staging-tui logs ...` printed by a doctor that ran
on the sandbox must say `staging-tui --sandbox logs ...`, or it would ask Google."""

from __future__ import annotations

import re
from dataclasses import replace

from staging_tui.config import Settings
from staging_tui.domain import Finding

_COMMAND = re.compile(r"\bstaging-tui (?=(?:logs|tunnel|doctor|services|secrets|query)\b)")


def as_invoked(text: str, settings: Settings) -> str:
    """`text` with each `staging-tui COMMAND` given the options this run was started with."""
    if not settings.sandbox:
        return text
    return _COMMAND.sub("staging-tui --sandbox ", text)


def finding_as_invoked(finding: Finding, settings: Settings) -> Finding:
    fixed = as_invoked(finding.fix, settings)
    return finding if fixed == finding.fix else replace(finding, fix=fixed)
