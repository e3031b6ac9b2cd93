"""The Cloud SQL instances a scenario declares (`[[sql]]`), cheap to import.

`sql_instances()` gives the domain objects the composition root puts in the
sandbox profile; `sql_specs()` the full declarations the emulation
(`cloudsql_api.py`) serves. Keys of one `[[sql]]` table (docs/tunnel.md):

    name, region, database_version ("POSTGRES_17"), ip_types (["PUBLIC", "PRIVATE", "PSC"]),
    databases (["biocirv"]), database (profile default), user, password_secret,
    extensions (["postgis"]: created when the server has them), seed (SQL run as `user`
    in `database`), cert_lifetime ("1h"), unreachable (bool), restart_every ("5m"),
    iam_users (["name@project.iam"]), [[sql.roles]] name / read_only / password_secret.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from staging_tui.config import SANDBOX_PROFILE, Settings, sandbox_settings, with_scenario_profile
from staging_tui.domain import SqlInstance
from staging_tui.errors import ConfigError, SandboxError
from staging_tui.sandbox.scenario import Scenario, parse_duration
from staging_tui.sandbox.scenario_checks import check_seed_sql

IP_TYPES = {"PUBLIC": "PRIMARY", "PRIMARY": "PRIMARY", "PRIVATE": "PRIVATE", "PSC": "PSC"}


@dataclass(frozen=True, slots=True)
class RoleSpec:
    name: str
    password: str = field(repr=False)
    read_only: bool = True
    password_secret: str = ""


@dataclass(frozen=True, slots=True)
class SqlSpec:
    """One emulated instance. Passwords are random per sandbox run (derived_password)."""

    name: str
    project: str
    region: str
    database_version: str
    ip_types: tuple[str, ...]
    databases: tuple[str, ...]
    database: str
    user: str
    password: str = field(repr=False)
    password_secret: str = ""
    roles: tuple[RoleSpec, ...] = ()
    extensions: tuple[str, ...] = ()
    seed_sql: str = field(default="", repr=False)
    cert_lifetime_s: float = 3600.0
    unreachable: bool = False
    restart_every_s: float = 0.0
    iam_users: tuple[str, ...] = ()

    @property
    def connection_name(self) -> str:
        return f"{self.project}:{self.region}:{self.name}"


# Per process (one sandbox run): the passwords are not derivable from the scenario, so
# another local user cannot compute them and log in over 127.0.0.1.
_RUN_SALT = secrets.token_hex(16)


def derived_password(scenario: Scenario, instance: str, user: str) -> str:
    """Stable within a sandbox run (every caller agrees), random across runs."""
    key = f"{_RUN_SALT}:{scenario.seed}:{instance}:{user}"
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"sbx-{digest[:20]}"


def sql_specs(scenario: Scenario) -> tuple[SqlSpec, ...]:
    out = []
    for i, raw in enumerate(scenario.tables.get("sql", [])):
        where = f"{scenario.source}: sql[{i}]"
        if not isinstance(raw, Mapping) or not raw.get("name"):
            raise SandboxError(f"{where}: name is missing", 'add name = "my-db" to the [[sql]] table')
        out.append(_spec(scenario, raw, where))
    return tuple(out)


def _spec(scenario: Scenario, raw: Mapping[str, Any], where: str) -> SqlSpec:
    name = str(raw["name"])
    ip_types = []
    for value in raw.get("ip_types", ["PUBLIC"]):
        if str(value).upper() not in IP_TYPES:
            raise SandboxError(f"{where}: ip_types: {value!r} is unknown",
                               "use PUBLIC, PRIVATE or PSC")
        ip_types.append(IP_TYPES[str(value).upper()])
    databases = tuple(str(d) for d in raw.get("databases", [raw.get("database", "postgres")]))
    database = str(raw.get("database", databases[0] if databases else "postgres"))
    user = str(raw.get("user", "postgres"))
    roles = tuple(
        RoleSpec(name=str(r["name"]), password=derived_password(scenario, name, str(r["name"])),
                 read_only=bool(r.get("read_only", True)),
                 password_secret=str(r.get("password_secret", "")))
        for r in raw.get("roles", [])
    )
    seed_sql = raw.get("seed", "")
    if not isinstance(seed_sql, str):
        raise SandboxError(f"{where}.seed must be a string of SQL, got {type(seed_sql).__name__}",
                           'write seed = """CREATE TABLE ...;"""')
    if not scenario.builtin:
        check_seed_sql(seed_sql, f"{where} ({name})")
    return SqlSpec(
        name=name,
        project=scenario.project,
        region=str(raw.get("region", scenario.region)),
        database_version=str(raw.get("database_version", "POSTGRES_17")),
        ip_types=tuple(ip_types),
        databases=databases if database in databases else (database, *databases),
        database=database,
        user=user,
        password=derived_password(scenario, name, user),
        password_secret=str(raw.get("password_secret", "")),
        roles=roles,
        extensions=tuple(str(e) for e in raw.get("extensions", [])),
        seed_sql=seed_sql,
        cert_lifetime_s=parse_duration(raw.get("cert_lifetime", "1h"), where=f"{where}.cert_lifetime"),
        unreachable=bool(raw.get("unreachable", False)),
        restart_every_s=parse_duration(raw.get("restart_every", 0), where=f"{where}.restart_every"),
        iam_users=tuple(str(u) for u in raw.get("iam_users", [])),
    )


def sql_instances(scenario: Scenario) -> tuple[SqlInstance, ...]:
    return tuple(
        SqlInstance(
            connection_name=spec.connection_name,
            database=spec.database,
            user=spec.user,
            password_secret=spec.password_secret,
            read_only_user=_reader(spec).name,
            read_only_password_secret=_reader(spec).password_secret,
        )
        for spec in sql_specs(scenario)
    )


def _reader(spec: SqlSpec) -> RoleSpec:
    """The instance's first read-only role (seed 000's biocirv_readonly); a nameless
    one when it has none."""
    return next((r for r in spec.roles if r.read_only), RoleSpec("", ""))


def scenario_settings(scenario: Scenario, profile: str = SANDBOX_PROFILE) -> Settings:
    """The profile the console runs with against `scenario`: a built-in sandbox profile
    (`sandbox`, `sandbox-actions`, `sandbox-protected`), the scenario's SQL instances and
    its own `[profile]` table (required secrets, suffix, extensions ...). Nothing comes
    from the default scenario."""
    base = replace(sandbox_settings(scenario.project, scenario.regions, profile),
                   sql_instances=sql_instances(scenario))
    try:
        return with_scenario_profile(base, scenario.tables.get("profile"), scenario.source)
    except ConfigError as exc:
        raise SandboxError(exc.message, exc.fix) from None
