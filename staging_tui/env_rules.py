"""Rules over one Cloud Run env var: placeholders, unresolved templates, localhost hosts,
CORS *, auth disabled, plain values in secret-named vars. Pure; used by the Services
detail (inline flags) and by the doctor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from staging_tui.domain import EnvVar

_TEMPLATE = re.compile(r"\{\{.*?\}\}|\$\{[^}]*\}|<[A-Za-z_-]+>")
_PLACEHOLDER = re.compile(
    r"^(replace[_-]?me|changeme|change[_-]?me|todo|tbd|xxx+|placeholder|dummy|"
    r"your[-_].*[-_]here|<from-secret-manager>|fixme)$",
    re.IGNORECASE,
)
_LOCALHOST = re.compile(r"(^|[/@:=])(localhost|127\.0\.0\.1|0\.0\.0\.0|::1)([:/]|$)",
                        re.IGNORECASE)
_HOST_VAR = re.compile(r"(HOST|URL|DSN|ADDR|ADDRESS|URI|ENDPOINT)$")
_SECRET_NAME = re.compile(r"(_KEY|_PASSWORD|_SECRET|_TOKEN|_PASS|_CREDENTIALS)$")
_BIND_VARS = re.compile(r"(BIND|LISTEN|SERVER_API_HOST)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class EnvFlag:
    """One problem with an env var: a short rule id and a human message."""

    rule: str
    message: str


def env_flags(var: EnvVar) -> tuple[EnvFlag, ...]:
    """Every flag that applies to `var` (secret references are never flagged)."""
    if var.secret is not None:
        return ()
    name, value = var.name.upper(), var.value.strip()
    flags: list[EnvFlag] = []
    if _TEMPLATE.search(value):
        flags.append(EnvFlag("template", f"unresolved template {value!r}"))
    elif _PLACEHOLDER.match(value):
        flags.append(EnvFlag("placeholder", f"placeholder value {value!r}"))
    elif value == "" and name not in {"DEBUG"}:
        flags.append(EnvFlag("empty", "empty value"))
    if _HOST_VAR.search(name) and _LOCALHOST.search(value) and not _BIND_VARS.search(name):
        flags.append(EnvFlag("localhost", "points at localhost: unreachable from Cloud Run"))
    if name in {"REDIS_HOST", "POSTGRES_HOST", "DB_HOST", "DATABASE_HOST"} and (
        value.lower() in {"localhost", "127.0.0.1"}
    ):
        if not any(f.rule == "localhost" for f in flags):
            flags.append(EnvFlag("localhost", "points at localhost: unreachable from Cloud Run"))
    if "CORS" in name and value in {"*", '["*"]'}:
        flags.append(EnvFlag("cors", "CORS allows any origin (*)"))
    if name in {"AUTH_ENABLED", "ENABLE_AUTH", "REQUIRE_AUTH"} and value.lower() in {
        "false", "0", "no", "off"
    }:
        flags.append(EnvFlag("auth-disabled", "authentication disabled"))
    if name in {"AUTH_DISABLED", "DISABLE_AUTH"} and value.lower() in {"true", "1", "yes", "on"}:
        flags.append(EnvFlag("auth-disabled", "authentication disabled"))
    if _SECRET_NAME.search(name) and value and not any(
        f.rule in {"placeholder", "template"} for f in flags
    ):
        flags.append(EnvFlag("plain-secret",
                             "secret-like name holds a plain value, not a secret reference"))
    return tuple(flags)
