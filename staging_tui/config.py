"""Profiles from TOML (+ environment overrides) -> frozen Settings.

Search order: `--config PATH`, `./staging-tui.toml`, `$XDG_CONFIG_HOME/staging-tui/config.toml`.
Every error names the file, the key and the fix. Overrides: STAGING_TUI_PROFILE,
STAGING_TUI_PROJECT, STAGING_TUI_REGION (and the --project / --region flags).
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from staging_tui.binding_ids import BINDING_IDS
from staging_tui.domain import SqlInstance, is_connection_name
from staging_tui.errors import ConfigError

CONFIG_NAME = "staging-tui.toml"
SANDBOX_PROFILE = "sandbox"
# The sandbox's built-in profiles (select with --sandbox --profile NAME): the default one
# is read-only; the others allow incident actions, confirmed with one key or, in the
# protected one, by typing the service's name.
SANDBOX_ACTIONS_PROFILE = "sandbox-actions"
SANDBOX_PROTECTED_PROFILE = "sandbox-protected"
SANDBOX_PROFILES = (SANDBOX_PROFILE, SANDBOX_ACTIONS_PROFILE, SANDBOX_PROTECTED_PROFILE)
PROFILE_KEYS = {
    "project", "region", "regions", "service_filter", "pr_pattern", "secret_suffix",
    "required_secrets", "sql", "health", "read_only", "protected", "environment",
    "log_buffer", "required_extensions", "alembic_head", "keys", "statement_timeout",
    "tunnel_max_connections", "max_statement_bytes", "export_dir", "quota_share",
    "query_memory_mb",
}
TOP_KEYS = {"default_profile", "profiles"}
SQL_KEYS = {"connection_name", "database", "user", "password_secret", "iam_auth", "port",
            "read_only_user", "read_only_password_secret"}
DEFAULT_MAX_STATEMENT_BYTES = 1_000_000


def default_export_dir() -> Path:
    """Where exported results and saved logs go: a per-user data directory."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "staging-tui" / "exports"


@dataclass(frozen=True)
class Settings:
    """One resolved profile. `sandbox` is true when running against the emulator."""

    profile: str
    project: str
    regions: tuple[str, ...] = ("us-central1",)
    environment: str = "staging"
    service_filter: str = "*"
    pr_pattern: str = "{service}-pr-{pr}"
    secret_suffix: str = "-staging"
    required_secrets: tuple[str, ...] = ()
    sql_instances: tuple[SqlInstance, ...] = ()
    health_paths: Mapping[str, str] = field(default_factory=dict)
    read_only: bool = True
    protected: bool = False
    log_buffer: int = 100_000
    statement_timeout: int = 30          # seconds, for the Query pane and `query` (0 = none)
    max_statement_bytes: int = DEFAULT_MAX_STATEMENT_BYTES   # larger SQL is refused (0 = none)
    export_dir: str = ""                 # exports and saved logs ("" = default_export_dir())
    quota_share: float = 0.5             # of each per-minute project quota this console may use
    tunnel_max_connections: int = 50     # clients per tunnel beyond which it refuses (0 = none)
    query_memory_mb: int = 400           # a Query pane result's buffers stop loading past it
    required_extensions: tuple[str, ...] = ()
    alembic_head: str = ""
    keys: Mapping[str, str] = field(default_factory=dict)
    sandbox: bool = False
    source: str = ""

    @property
    def region(self) -> str:
        return self.regions[0]

    @property
    def exports(self) -> Path:
        """The directory exports and saved logs are written to (0600 files)."""
        return Path(self.export_dir).expanduser() if self.export_dir else default_export_dir()

    @property
    def writable(self) -> bool:
        """Secret writes are allowed only when neither read-only nor protected."""
        return not self.read_only and not self.protected

    @property
    def actions_allowed(self) -> bool:
        """Incident actions (roll back, traffic, restart, pin) run unless read-only; in a
        protected profile each one is confirmed by typing the service's name."""
        return not self.read_only


def sandbox_settings(project: str = "sandbox-staging", regions: tuple[str, ...] = ("us-central1",),
                     profile: str = SANDBOX_PROFILE) -> Settings:
    """The built-in sandbox profiles (SANDBOX_PROFILES): nothing required until the scenario
    says so (see `with_scenario_profile`); a custom scenario never inherits the default
    one's list."""
    if profile not in SANDBOX_PROFILES:
        raise ConfigError("--profile", "", f"{profile!r} is not a sandbox profile",
                          f"with --sandbox use one of: {', '.join(SANDBOX_PROFILES)}")
    return Settings(
        profile=profile,
        project=project,
        regions=regions,
        environment="sandbox",
        health_paths={"*": "/health"},
        read_only=profile == SANDBOX_PROFILE,
        protected=profile == SANDBOX_PROTECTED_PROFILE,
        sandbox=True,
        source=f"<built-in {profile} profile>",
    )


SCENARIO_PROFILE_KEYS = {"required_secrets", "secret_suffix", "required_extensions",
                         "alembic_head", "environment", "health"}


def with_scenario_profile(settings: Settings, raw: Any, file: str) -> Settings:
    """`settings` with a scenario's `[profile]` table applied (what the doctor and the
    secrets audit require of that project); errors name the file and key."""
    key = "profile"
    if raw is None:
        return settings
    if not isinstance(raw, Mapping):
        raise ConfigError(file, key, "must be a table", "write it as [profile]")
    unknown = sorted(set(raw) - SCENARIO_PROFILE_KEYS)
    if unknown:
        raise ConfigError(file, f"{key}.{unknown[0]}", "unknown key",
                          f"use one of: {', '.join(sorted(SCENARIO_PROFILE_KEYS))}")
    return replace(
        settings,
        required_secrets=tuple(_strings(raw.get("required_secrets", []), file,
                                        f"{key}.required_secrets")),
        secret_suffix=_str(raw, "secret_suffix", settings.secret_suffix, file, key),
        required_extensions=tuple(_strings(raw.get("required_extensions", []), file,
                                           f"{key}.required_extensions")),
        alembic_head=_str(raw, "alembic_head", settings.alembic_head, file, key),
        environment=_str(raw, "environment", settings.environment, file, key),
        health_paths=_str_map(raw.get("health", settings.health_paths), file, f"{key}.health"),
    )


def find_config(explicit: str | None) -> Path | None:
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(str(path), "", "file not found",
                              "check --config, or run `staging-tui init` to write a sample")
        return path
    local = Path.cwd() / CONFIG_NAME
    if local.is_file():
        return local
    xdg = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    user = xdg / "staging-tui" / "config.toml"
    return user if user.is_file() else None


def load_settings(config: str | None = None, profile: str | None = None,
                  project: str | None = None, region: str | None = None) -> Settings:
    """Resolve the profile to use, or raise ConfigError saying how to start."""
    path = find_config(config)
    profile = profile or os.environ.get("STAGING_TUI_PROFILE") or None
    project = project or os.environ.get("STAGING_TUI_PROJECT") or None
    region = region or os.environ.get("STAGING_TUI_REGION") or None
    if path is None:
        if project:
            settings = Settings(profile="adhoc", project=project, source="--project")
            return replace(settings, regions=(region,)) if region else settings
        raise ConfigError(
            CONFIG_NAME, "", "no configuration and no --sandbox",
            "try the built-in sandbox:  staging-tui --sandbox\n"
            "  or write a profile:       staging-tui init   (then edit staging-tui.toml)",
        )
    settings = parse_config(read_config(path), str(path), profile)
    if project:
        settings = replace(settings, project=project)
    if region:
        settings = replace(settings, regions=(region,))
    return settings


def read_config(path: Path) -> str:
    """The file's text; TOML is UTF-8, so other bytes are an error naming where."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(str(path), "", f"not valid UTF-8 (byte 0x{data[exc.start]:02x} on "
                          f"line {line})", "save the file as UTF-8 (TOML files must be UTF-8)"
                          ) from None


def _unknown(key: str, known: set[str] | frozenset[str]) -> str:
    """The fix for an unknown key: the closest known one, else the list."""
    close = difflib.get_close_matches(key, sorted(known), n=1)
    if close:
        return f"did you mean {close[0]!r}? (or remove it)"
    return f"remove it, or use one of: {', '.join(sorted(known))}"


def parse_config(text: str, file: str, profile: str | None = None) -> Settings:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(file, "", f"not valid TOML ({exc})", "fix the TOML syntax at that line"
                          ) from None
    profiles = data.get("profiles")
    if not isinstance(profiles, Mapping) or not profiles:
        raise ConfigError(file, "profiles", "no [profiles.NAME] table",
                          'add e.g. [profiles.staging] with project = "my-project-staging"')
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        close = difflib.get_close_matches(unknown[0], sorted(TOP_KEYS | PROFILE_KEYS), n=1)
        guess = unknown[0] if unknown[0] in PROFILE_KEYS else (close[0] if close else "")
        hint = (f"{'' if guess == unknown[0] else f'did you mean {guess!r}? '}"
                f"{guess} is a profile key: put it under [profiles.NAME]"
                if guess in PROFILE_KEYS else _unknown(unknown[0], TOP_KEYS))
        raise ConfigError(file, unknown[0], "unknown top-level key", hint)
    name = profile or str(data.get("default_profile", "")) or next(iter(profiles))
    if name not in profiles:
        raise ConfigError(file, "default_profile" if not profile else "--profile",
                          f"profile {name!r} is not defined",
                          f"use one of: {', '.join(sorted(profiles))}")
    return _profile(profiles[name], file, name)


def _profile(raw: Any, file: str, name: str) -> Settings:
    key = f"profiles.{name}"
    if not isinstance(raw, Mapping):
        raise ConfigError(file, key, "must be a table", f"write it as [{key}]")
    unknown = sorted(set(raw) - PROFILE_KEYS)
    if unknown:
        raise ConfigError(file, f"{key}.{unknown[0]}", "unknown key",
                          _unknown(unknown[0], PROFILE_KEYS))
    project = raw.get("project")
    if project is not None and not isinstance(project, str):
        raise ConfigError(file, f"{key}.project", f"must be a string, got {project!r}",
                          'write the project id in quotes: project = "my-gcp-project"')
    if not project:
        raise ConfigError(file, f"{key}.project", "missing or empty",
                          f'add project = "my-gcp-project" under [{key}]')
    regions = raw.get("regions") or [raw.get("region", "us-central1")]
    if regions == "all":  # every Cloud Run region of the project (its locations list)
        regions = ["all"]
    sql = tuple(_sql(item, file, f"{key}.sql[{i}]") for i, item in enumerate(raw.get("sql", [])))
    return Settings(
        profile=name,
        project=project,
        regions=tuple(_strings(regions, file, f"{key}.regions")),
        environment=_str(raw, "environment", "staging", file, key),
        service_filter=_str(raw, "service_filter", "*", file, key),
        pr_pattern=_pr_pattern(raw, file, key),
        secret_suffix=_str(raw, "secret_suffix", "-staging", file, key),
        required_secrets=tuple(_strings(raw.get("required_secrets", []), file,
                                        f"{key}.required_secrets")),
        sql_instances=sql,
        health_paths=_str_map(raw.get("health", {}), file, f"{key}.health"),
        read_only=_bool(raw, "read_only", True, file, key),
        protected=_bool(raw, "protected", False, file, key),
        log_buffer=_int(raw, "log_buffer", 100_000, file, key),
        statement_timeout=_int(raw, "statement_timeout", 30, file, key),
        max_statement_bytes=_int(raw, "max_statement_bytes", DEFAULT_MAX_STATEMENT_BYTES, file,
                                 key),
        export_dir=_str(raw, "export_dir", "", file, key),
        quota_share=_share(raw, "quota_share", 0.5, file, key),
        tunnel_max_connections=_int(raw, "tunnel_max_connections", 50, file, key),
        query_memory_mb=_int(raw, "query_memory_mb", 400, file, key),
        required_extensions=tuple(_strings(raw.get("required_extensions", []), file,
                                           f"{key}.required_extensions")),
        alembic_head=_str(raw, "alembic_head", "", file, key),
        keys=_keys(raw.get("keys", {}), file, f"{key}.keys"),
        source=file,
    )


def _sql(raw: Any, file: str, key: str) -> SqlInstance:
    if not isinstance(raw, Mapping):
        raise ConfigError(file, key, "must be a table", f"write it as [[{key.split('[')[0]}]]")
    unknown = sorted(set(raw) - SQL_KEYS)
    if unknown:
        raise ConfigError(file, f"{key}.{unknown[0]}", "unknown key",
                          f"use one of: {', '.join(sorted(SQL_KEYS))}")
    conn = raw.get("connection_name", "")
    if not isinstance(conn, str) or not is_connection_name(conn):
        raise ConfigError(file, f"{key}.connection_name",
                          f"{conn!r} is not PROJECT:REGION:INSTANCE",
                          'write e.g. connection_name = "my-project:us-central1:my-db" '
                          '(domain-scoped: "example.com:my-project:us-central1:my-db")')
    return SqlInstance(
        connection_name=conn,
        database=_str(raw, "database", "postgres", file, key),
        user=_str(raw, "user", "postgres", file, key),
        password_secret=_str(raw, "password_secret", "", file, key),
        iam_auth=_bool(raw, "iam_auth", False, file, key),
        port=_port(raw, file, key),
        read_only_user=_str(raw, "read_only_user", "", file, key),
        read_only_password_secret=_str(raw, "read_only_password_secret", "", file, key),
    )


def _port(raw: Mapping[str, Any], file: str, key: str) -> int:
    port = _int(raw, "port", 0, file, key)
    if port > 65535:
        raise ConfigError(file, f"{key}.port", f"{port} is not a TCP port",
                          "use 1-65535, or leave it out for the first free from 5433")
    return port


def _pr_pattern(raw: Mapping[str, Any], file: str, key: str) -> str:
    value = _str(raw, "pr_pattern", "{service}-pr-{pr}", file, key)
    if "{pr}" not in value:
        raise ConfigError(file, f"{key}.pr_pattern", f"{value!r} has no {{pr}} placeholder",
                          'write e.g. pr_pattern = "{service}-pr-{pr}"')
    return value


def _str(raw: Mapping[str, Any], name: str, default: str, file: str, key: str) -> str:
    value = raw.get(name, default)
    if not isinstance(value, str):
        raise ConfigError(file, f"{key}.{name}", f"must be a string, got {value!r}",
                          f'quote it: {name} = "{value}"')
    return value


def _bool(raw: Mapping[str, Any], name: str, default: bool, file: str, key: str) -> bool:
    value = raw.get(name, default)
    if not isinstance(value, bool):
        raise ConfigError(file, f"{key}.{name}", f"must be true or false, got {value!r}",
                          f"write {name} = true  or  {name} = false (no quotes)")
    return value


def _share(raw: Mapping[str, Any], name: str, default: float, file: str, key: str) -> float:
    value = raw.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ConfigError(file, f"{key}.{name}", f"must be a fraction in (0, 1], got {value!r}",
                          f"write e.g. {name} = {default} (half of each per-minute quota)")
    return float(value)


def _int(raw: Mapping[str, Any], name: str, default: int, file: str, key: str) -> int:
    value = raw.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(file, f"{key}.{name}", f"must be a whole number >= 0, got {value!r}",
                          f"write e.g. {name} = {default}")
    return value


def _strings(value: Any, file: str, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(file, key, f"must be a list of strings, got {value!r}",
                          f'write e.g. {key.rsplit(".", 1)[-1]} = ["a", "b"]')
    return list(value)


def _keys(value: Any, file: str, key: str) -> dict[str, str]:
    """[keys]: binding id = key(s). Ids hold a dot, so TOML needs them quoted; an
    unquoted one arrives as a nested table, and gets that fix."""
    if isinstance(value, Mapping):
        for name, item in value.items():
            if isinstance(item, Mapping):
                inner = next(iter(item), "action")
                raise ConfigError(file, f"{key}.{name}", "is a table, not a binding id",
                                  f'quote the id: "{name}.{inner}" = "ctrl+r"')
    keys = _str_map(value, file, key)
    for name in keys:
        if name not in BINDING_IDS:
            raise ConfigError(file, f"{key}.{name}", "unknown key binding id",
                              _unknown(name, BINDING_IDS).replace("(or remove it)",
                                                                  "(all ids: docs/keys.md)"))
    return keys


def _str_map(value: Any, file: str, key: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise ConfigError(file, key, f"must be a table of strings, got {value!r}",
                          f'write e.g. [{key}] with webservice = "/health"')
    return dict(value)


SAMPLE_CONFIG = '''\
# staging-tui configuration. Docs: docs/config.md
# Profiles: pick one with --profile NAME (default: default_profile, else the first).
default_profile = "staging"

[profiles.staging]
project = "my-project-staging"        # GCP project id
regions = ["us-central1"]              # Cloud Run regions to list
environment = "staging"                # shown in the header
service_filter = "*"                   # glob on service names
pr_pattern = "{service}-pr-{pr}"       # PR environments, e.g. backend-pr-12
secret_suffix = "-staging"             # required_secrets below are resolved with it
required_secrets = ["jwt-secret-key", "secret-key", "postgres-password"]
read_only = true                       # false enables writes and incident actions (previewed)
protected = false                      # true: refuse secret writes; actions need the name typed
# required_extensions = ["postgis"]
# max_statement_bytes = 1000000         # larger SQL is refused before it is parsed (0 = none)
# export_dir = "~/staging-exports"      # default: $XDG_DATA_HOME/staging-tui/exports
# alembic_head = "abc123"

[profiles.staging.health]              # health path per service ("*" = default)
"*" = "/health"

[[profiles.staging.sql]]
connection_name = "my-project-staging:us-central1:main-db"
database = "app"
user = "app_readonly"
password_secret = "db-password-staging"   # read from Secret Manager, never typed
# read_only_user = "app_readonly"         # the Query pane and `query` log in as it when
# read_only_password_secret = "db-readonly-password-staging"   # the profile is read-only
# iam_auth = true
# port = 5433

# [profiles.staging.keys]               # remap keys: "binding id" = "key" (docs/keys.md)
# "services.refresh" = "ctrl+r"
'''
