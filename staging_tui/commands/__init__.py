"""Headless commands. Each module has `add_parser(subparsers)` which registers the
command and sets `run=<async (args, backend) -> exit code>` as its default.

Commands see the Backend and domain objects only: never ui/ nor sandbox/.
"""

COMMAND_MODULES: tuple[str, ...] = (
    "staging_tui.commands.services",
    "staging_tui.commands.jobs",
    "staging_tui.commands.logs",
    "staging_tui.commands.secrets",
    "staging_tui.commands.doctor",
    "staging_tui.commands.tunnel",
    "staging_tui.commands.query",
)
