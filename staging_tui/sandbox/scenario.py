"""Scenario files: TOML that declares the emulated project.

The loader only knows the common part (`[project]`, `[faults]`); each emulated API
module reads its own tables (`[[services]]`, `[[secrets]]`, `[logs]`, `[[sql]]` ...)
from `Scenario.tables`, so adding an API is one new module. See docs/scenarios.md.
"""

from __future__ import annotations

import hashlib
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from staging_tui import durations
from staging_tui.errors import SandboxError
from staging_tui.sandbox.faults import Faults

DEFAULT_SCENARIO = "default.toml"


@dataclass
class Scenario:
    project: str
    regions: tuple[str, ...]
    seed: int
    source: str
    faults: Faults
    tables: Mapping[str, Any]
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    # The sandbox's clock (seconds since the epoch): when generated logs are due, and
    # which minutes Monitoring has figures for. The wall clock, unless frozen (`freeze`).
    clock: Callable[[], float] = time.time

    @property
    def region(self) -> str:
        return self.regions[0]

    @property
    def project_number(self) -> str:
        """`[project] number`, else a stable 12-digit number derived from the id: Google
        names resources `projects/NUMBER/...` (Secret Manager returns them so)."""
        table = self.tables.get("project", {})
        number = table.get("number") if isinstance(table, Mapping) else None
        if number is not None:
            return str(number)
        digest = int(hashlib.sha1(self.project.encode()).hexdigest(), 16)
        return str(100_000_000_000 + digest % 900_000_000_000)

    @property
    def builtin(self) -> bool:
        """The scenario shipped with staging-tui (its seeds are tested; not re-parsed on
        every start, which would put pglast's import on the console's start-up path)."""
        return self.source.startswith("<built-in ")

    def freeze(self, at: datetime) -> None:
        """Stop the sandbox's clock at `at` (it started there too): logs are generated up
        to `at` and no further, Monitoring answers up to `at`. For pictures that must not
        depend on when they are taken (the snapshot tests' fixed clock)."""
        self.now = at
        frozen = at.timestamp()
        self.clock = lambda: frozen

    def ago(self, value: str | int | float | None, *, key: str = "") -> datetime:
        """A timestamp `value` before the scenario's start ("3h", "2d", seconds)."""
        if value is None:
            return self.now
        return self.now - timedelta(seconds=parse_duration(value, where=f"{self.source}: {key}"))


def parse_duration(value: str | int | float, *, where: str = "") -> float:
    """'90s', '15m', '3h', '2d', '250ms' or a number of seconds -> seconds."""
    try:
        return durations.parse_duration(value)
    except ValueError:
        raise SandboxError(
            f"{where}: {value!r} is not a duration",
            f"write a number with a unit: {durations.DURATION_FORMS}",
        ) from None


def builtin_scenarios() -> tuple[str, ...]:
    """The scenarios shipped with the sandbox, by name (`--scenario two-regions`)."""
    folder = resources.files(__package__).joinpath("scenarios")
    return tuple(sorted(f.name.removesuffix(".toml") for f in folder.iterdir()
                        if f.name.endswith(".toml")))


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Load a scenario file, a built-in one by name (`two-regions`), or the default one
    when `path` is None.

    `generated:SERVICESxREVISIONS` (e.g. `generated:2000x5`) builds a large synthetic
    project, for benchmarks and demos at scale.
    """
    if isinstance(path, str) and path.startswith("generated:"):
        from staging_tui.sandbox.generate import generated_scenario

        spec = path.removeprefix("generated:")
        try:
            services, _, revisions = spec.partition("x")
            return generated_scenario(int(services), int(revisions or 1))
        except ValueError:
            raise SandboxError(f"--scenario {path}: not SERVICESxREVISIONS",
                               "write e.g. --scenario generated:2000x5") from None
    if isinstance(path, str) and path in builtin_scenarios():
        text = resources.files(__package__).joinpath("scenarios", f"{path}.toml").read_text()
        source = f"<built-in {path}.toml>"
    elif path is None:
        text = resources.files(__package__).joinpath("scenarios", DEFAULT_SCENARIO).read_text()
        source = f"<built-in {DEFAULT_SCENARIO}>"
    else:
        file = Path(path)
        source = str(file)
        try:
            text = file.read_bytes().decode("utf-8")
        except OSError as exc:
            raise SandboxError(
                f"cannot read scenario {source}: {exc.strerror}",
                "check the path given to --scenario",
            ) from None
        except UnicodeDecodeError as exc:
            raise SandboxError(f"{source}: not valid UTF-8 (at byte {exc.start})",
                               "save the scenario as UTF-8 (TOML files must be UTF-8)") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SandboxError(f"{source}: not valid TOML: {exc}", "fix the TOML syntax") from None
    return scenario_from_dict(data, source=source)


def scenario_from_dict(data: Mapping[str, Any], *, source: str = "<generated>") -> Scenario:
    project = data.get("project", {})
    if not isinstance(project, Mapping) or not project.get("id"):
        raise SandboxError(
            f"{source}: [project] id is missing",
            'add:  [project]\n  id = "my-staging"\n  region = "us-central1"',
        )
    from staging_tui.sandbox.scenario_checks import check_project, check_services

    check_project(project, source)
    regions = project.get("regions") or [project.get("region", "us-central1")]
    check_services(data, source, str(regions[0]))
    return Scenario(
        project=str(project["id"]),
        regions=tuple(str(r) for r in regions),
        seed=int(project.get("seed", 0)),
        source=source,
        faults=Faults.from_table(data.get("faults", {})),
        tables=data,
    )
