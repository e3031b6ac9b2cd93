"""Composition root: parse args, load config, build the Backend, start the TUI or a
headless command. The ONLY module that imports both ui/ and sandbox/.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from staging_tui import __version__
from staging_tui.commands import COMMAND_MODULES
from staging_tui.config import CONFIG_NAME, SAMPLE_CONFIG, SANDBOX_PROFILE, Settings, load_settings
from staging_tui.errors import SandboxError, StagingError, UsageError
from staging_tui.exit_codes import INTERRUPTED, OK, USAGE, for_error
from staging_tui.gcp.endpoints import Endpoints

if TYPE_CHECKING:
    from staging_tui.backend import Backend
    from staging_tui.sandbox.process import SandboxProcess


def _global_options(defaults: bool) -> argparse.ArgumentParser:
    """Global options; on subcommands they default to SUPPRESS so they work either side."""
    p = argparse.ArgumentParser(add_help=False)
    d: Any = None if defaults else argparse.SUPPRESS
    g = p.add_argument_group("global options")
    g.add_argument("--config", metavar="PATH", default=d, help="config file (TOML)")
    g.add_argument("--profile", metavar="NAME", default=d, help="profile in the config")
    g.add_argument("--project", metavar="ID", default=d, help="override the GCP project")
    g.add_argument("--region", metavar="R", default=d, help="override the region")
    g.add_argument("--sandbox", action="store_true", default=False if defaults else d,
                   help="use the built-in emulated staging project")
    g.add_argument("--scenario", metavar="PATH", default=d,
                   help="sandbox scenario file (implies --sandbox)")
    return p


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="staging-tui",
        parents=[_global_options(True)],
        description="A keyboard-driven console for a Google Cloud staging environment. "
        "With no command it opens the TUI.",
    )
    parser.add_argument("--version", action="version", version=f"staging-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parents = [_global_options(False)]
    p = sub.add_parser("init", parents=parents, help="write a commented sample config",
                       description=f"Write a commented sample ./{CONFIG_NAME}.")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.add_argument("path", nargs="?", default=CONFIG_NAME, help=f"where (default ./{CONFIG_NAME})")
    sb = sub.add_parser("sandbox", parents=parents, help="run the emulated project",
                        description="The built-in emulated staging project.")
    sbs = sb.add_subparsers(dest="sandbox_command", metavar="SUBCOMMAND", required=True)
    serve = sbs.add_parser("serve", parents=parents, help="serve it in the foreground",
                           description="Serve the sandbox until Ctrl+C (SIGINT), SIGTERM or SIGHUP "
                           "and print its endpoints.")
    serve.add_argument("--endpoints-json", action="store_true",
                       help="print the endpoints as one JSON line (for programs)")
    serve.add_argument("--exit-on-stdin-eof", action="store_true",
                       help="stop when standard input closes (the parent went away)")
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_parser(sub, parents)
    return parser


def resolve(args: argparse.Namespace
            ) -> tuple[Settings, Callable[[], Endpoints], SandboxProcess | None]:
    """Settings and an endpoints provider; in sandbox mode also the (starting) sandbox."""
    if args.sandbox or args.scenario:
        from staging_tui.compose import sandbox_profile
        from staging_tui.sandbox.process import SandboxProcess
        from staging_tui.sandbox.scenario import load_scenario

        try:  # cheap: the scenario (and its seed SQL) is checked before the child starts
            scenario = load_scenario(args.scenario)
            settings = sandbox_profile(scenario, SANDBOX_PROFILE if args.config
                                       else args.profile or SANDBOX_PROFILE)
        except SandboxError as exc:
            raise UsageError(exc.message, exc.fix) from None
        if args.config:  # your profile's rules on the sandbox's project
            settings = on_the_sandbox(load_settings(args.config, args.profile), settings)
        child = SandboxProcess(args.scenario)
        if getattr(args, "needs_endpoints", lambda _: True)(args):  # `tunnel --list`: no
            child.begin()  # start-up overlaps ours; wait() starts it otherwise

        def provider() -> Endpoints:
            return Endpoints.for_sandbox(child.wait())

        return settings, provider, child
    settings = load_settings(args.config, args.profile, args.project, args.region)
    return settings, Endpoints.google, None


def on_the_sandbox(profile: Settings, sandbox: Settings) -> Settings:
    """A named profile run against the sandbox: its own rules (read_only, protected,
    required secrets, health paths, keys, ...) with the sandbox's project, regions and
    SQL instances, so `--sandbox --config mine.toml` tries your profile offline."""
    return replace(profile, project=sandbox.project, regions=sandbox.regions,
                   sql_instances=sandbox.sql_instances, sandbox=True,
                   source=f"{profile.source} (profile {profile.profile}) on the sandbox")


def non_utf8_argument(argv: Sequence[str]) -> str | None:
    """The error for the first argument holding bytes that are not UTF-8 (Python keeps
    them as lone surrogates, which no API, driver or protocol can encode), or None."""
    for i, token in enumerate(argv):
        try:
            token.encode("utf-8")
        except UnicodeEncodeError as exc:
            raw = token.encode("utf-8", "surrogateescape")
            shown = raw.decode("utf-8", "backslashreplace")
            if token.startswith("--") and "=" in token:
                name, _, shown = shown.partition("=")
            elif i and argv[i - 1].startswith("--"):
                name = argv[i - 1]
            else:
                name = "argument"
            bad = raw[exc.start:exc.start + 1].hex()
            return (f"{name} '{shown}': not valid UTF-8 (byte 0x{bad})\n"
                    "  fix: pass the text as UTF-8 (check the terminal's or the script's "
                    "encoding, e.g. LANG=C.UTF-8)")
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    bad = non_utf8_argument(argv)
    if bad is not None:
        print(f"staging-tui: {bad}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    if args.command == "init":
        return _init(Path(args.path), args.force)
    sandbox_thread: SandboxProcess | None = None
    try:
        if args.command == "sandbox":
            return _serve(args)
        settings, endpoints, sandbox_thread = resolve(args)
        from staging_tui.compose import make_app, make_backend

        if args.command is None:
            app = make_app(settings, endpoints)
            app.run()
            return app.return_code or 0
        return asyncio.run(_headless(args, make_backend(settings, endpoints)))
    except StagingError as exc:
        print(f"staging-tui: {exc}", file=sys.stderr)
        return for_error(exc)
    except KeyboardInterrupt:
        return INTERRUPTED
    except BrokenPipeError:  # `staging-tui services | head`
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return OK
    finally:
        if sandbox_thread is not None:
            sandbox_thread.stop()


async def _headless(args: argparse.Namespace, backend: Backend) -> int:
    try:
        code: int = await args.run(args, backend)
        return code
    finally:
        await backend.close()


def _init(path: Path, force: bool) -> int:
    if path.exists() and not force:
        print(f"staging-tui: {path} exists; use --force to overwrite it", file=sys.stderr)
        return USAGE
    path.write_text(SAMPLE_CONFIG)
    print(f"wrote {path}: edit project, regions and sql, then run: staging-tui")
    return OK


async def _release_now_and_then() -> None:
    from staging_tui.process_memory import TRIM_EVERY_S, release_free_memory

    while True:
        await asyncio.sleep(TRIM_EVERY_S)
        release_free_memory()


def _serve(args: argparse.Namespace) -> int:
    from staging_tui.process_memory import freeze_start_up, release_free_memory
    from staging_tui.sandbox.cloudsql_api import version_notes
    from staging_tui.sandbox.scenario import load_scenario
    from staging_tui.sandbox.server import start_sandbox

    async def serve() -> None:
        scenario = load_scenario(args.scenario)
        running = await start_sandbox(scenario)
        if args.endpoints_json:
            print(json.dumps(running.endpoints))
        else:
            print(f"sandbox serving project {scenario.project} ({scenario.source})")
            for name, value in running.endpoints.items():
                print(f"  {name:10} {value}")
            for note in version_notes(scenario):
                print(f"  note: {note}")
        sys.stdout.flush()
        # Serving from now on: start-up objects out of GC scans, freed heap back to the
        # system now and every TRIM_EVERY_S (docs/performance.md "Idle footprint").
        freeze_start_up()
        release_free_memory()
        trimming = asyncio.create_task(_release_now_and_then())
        done = asyncio.Event()
        loop = asyncio.get_running_loop()
        # Stop (and so stop PostgreSQL and remove its dir) on SIGTERM, SIGHUP and SIGINT,
        # also when SIGINT arrives ignored (shells ignore it in `cmd &` background jobs).
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            loop.add_signal_handler(sig, done.set)
        if args.exit_on_stdin_eof:
            threading.Thread(target=lambda: (sys.stdin.read(),
                                             loop.call_soon_threadsafe(done.set)),
                             daemon=True).start()
        try:
            await done.wait()
        finally:
            trimming.cancel()
            await running.stop()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
