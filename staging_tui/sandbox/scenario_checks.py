"""Checks of a scenario's values, when it is loaded: a wrong type or an impossible value
is one SandboxError naming the file, the table and the fix, before any server starts
(never a traceback from deep inside an emulated API, nor a silently odd project).

What Google enforces is enforced the same way: traffic percents add up to 100 (Cloud Run
Admin API v2, `Service.traffic`: "the sum of all percent values must equal 100"); a
service name is unique in its region. Seed SQL is parsed with PostgreSQL's own parser
(pglast) so a syntax error names the instance and the line before the database starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from staging_tui.errors import SandboxError


def whole_number(value: Any, where: str, name: str, *, minimum: int = 0,
                 example: int = 1) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise SandboxError(f"{where}: {name} must be a whole number >= {minimum}, got {value!r}",
                           f"write e.g. {name} = {example} (no quotes)")
    return value


def check_project(project: Mapping[str, Any], source: str) -> None:
    where = f"{source}: [project]"
    if not isinstance(project.get("id"), str):
        raise SandboxError(f"{where} id must be a string, got {project.get('id')!r}",
                           'write the project id in quotes: id = "my-staging"')
    whole_number(project.get("seed", 0), where, "seed", example=42)
    regions = project.get("regions", [project.get("region", "us-central1")])
    if not isinstance(regions, list) or not regions or not all(
            isinstance(r, str) and r for r in regions):
        raise SandboxError(f"{where} region(s) must be strings, got {regions!r}",
                           'write region = "us-central1" or regions = ["us-central1"]')


def check_services(tables: Mapping[str, Any], source: str, default_region: str) -> None:
    services = tables.get("services", [])
    if not isinstance(services, list):
        raise SandboxError(f"{source}: services must be an array of tables",
                           "write each service as a [[services]] table")
    seen: dict[tuple[str, str], int] = {}
    for i, spec in enumerate(services):
        where = f"{source}: services[{i}]"
        if not isinstance(spec, Mapping) or not isinstance(spec.get("name"), str) or not spec[
                "name"]:
            raise SandboxError(f"{where}: name is missing or not a string",
                               'add name = "my-service" to the [[services]] table')
        name = spec["name"]
        where = f"{where} ({name})"
        region = str(spec.get("region", default_region))
        if (name, region) in seen:
            raise SandboxError(
                f"{where}: duplicate service {name!r} in {region} "
                f"(also services[{seen[name, region]}])",
                "give each service its own name, or remove one of them")
        seen[name, region] = i
        count = whole_number(spec.get("revisions", 1), where, "revisions", minimum=1, example=3)
        ready = whole_number(spec.get("latest_ready", count), where, "latest_ready",
                             example=count)
        if ready > count:
            raise SandboxError(f"{where}: latest_ready = {ready} but it has {count} revisions",
                               f"use latest_ready <= revisions ({count})")
        for key in ("port", "min_instances", "max_instances"):
            if key in spec:
                whole_number(spec[key], where, key, example=1)
        _check_traffic(spec.get("traffic", []), where, count)


def _check_traffic(traffic: Any, where: str, revisions: int) -> None:
    if not isinstance(traffic, list) or not all(isinstance(t, Mapping) for t in traffic):
        raise SandboxError(f"{where}: traffic must be a list of tables",
                           "write traffic = [{ revision = 2, percent = 100 }]")
    if not traffic:
        return
    total = 0
    for t in traffic:
        number = whole_number(t.get("revision"), f"{where} traffic", "revision", minimum=1,
                              example=revisions)
        if number > revisions:
            raise SandboxError(f"{where}: traffic to revision {number}, but it has {revisions}",
                               f"use a revision number from 1 to {revisions}")
        percent = whole_number(t.get("percent", 100), f"{where} traffic", "percent",
                               example=100)
        total += percent
    if total != 100:
        raise SandboxError(f"{where}: traffic percents add up to {total}, not 100",
                           "make the percents add up to 100 (as Cloud Run requires)")


def check_seed_sql(sql: str, where: str) -> None:
    """A syntax error in seed SQL, found by PostgreSQL's own parser, names the line."""
    if not sql.strip():
        return
    try:
        import pglast
    except ImportError:  # the server reports it when it runs the seed
        return
    try:
        pglast.parser.parse_sql(sql)
    except pglast.parser.ParseError as exc:
        location = exc.args[1] if len(exc.args) > 1 else None  # 0-based offset
        line = sql.count("\n", 0, location) + 1 if isinstance(location, int) else None
        at = f" (line {line} of the seed)" if line else ""
        raise SandboxError(f"{where}: seed SQL does not parse: {exc.args[0]}{at}",
                           "fix the seed SQL in the scenario's [[sql]] table") from None
