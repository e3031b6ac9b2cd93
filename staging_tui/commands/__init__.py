"""Headless commands. Each module has `add_parser(subparsers)` which registers the
command and sets `run=<async (args, backend) -> exit code>` as its default.

Commands see the Backend and domain objects only: never ui/ nor sandbox/.
"""

from __future__ import annotations

import argparse
from typing import TypeAlias

# What argparse's add_subparsers() returns (typeshed's name for it).
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

COMMAND_MODULES: tuple[str, ...] = (
    "staging_tui.commands.services",
    "staging_tui.commands.jobs",
    "staging_tui.commands.logs",
    "staging_tui.commands.secrets",
    "staging_tui.commands.doctor",
    "staging_tui.commands.tunnel",
    "staging_tui.commands.query",
    "staging_tui.commands.actions",
    "staging_tui.commands.job_actions",
)
