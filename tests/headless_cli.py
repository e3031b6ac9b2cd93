"""Run a headless command's own `run` on the session sandbox (main() would start a new
sandbox process per call)."""

from __future__ import annotations

from typing import Any

from ui_app import backend_for, sandbox_profile

from staging_tui.cli import build_parser
from staging_tui.sandbox.server import RunningSandbox


async def run_command(sandbox: RunningSandbox, argv: list[str], **settings: Any) -> int:
    args = build_parser().parse_args(argv)
    backend = backend_for(sandbox, sandbox_profile(sandbox, **settings))
    try:
        code: int = await args.run(args, backend)
    finally:
        await backend.close()
    return code
