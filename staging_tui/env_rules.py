"""Rules over one Cloud Run env var: placeholders, unresolved templates, localhost hosts,
CORS *, auth disabled, plain values in secret-named vars, and credentials inside any
value whatever the var is called (`find_credentials` / `mask_credentials`: the one place
that knows what a credential in a value looks like). Pure; used by the Services detail
(inline flags), the doctor and anything that prints env values (`masked_value`: the
doctor's evidence and `services --json` show a value the same way).
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
PLAIN_SECRET_HIDDEN = "<plain value, hidden>"
# scheme://user:PASSWORD@host and scheme://:PASSWORD@host (redis); group 1 the password
# (a password may hold an @: it runs to the last @ before the path)
_URL_USERINFO = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:([^\s/]+)@")
_BEARER = re.compile(r"\b(?:Bearer|Basic|Token)\s+([A-Za-z0-9._~+/=-]{12,})", re.IGNORECASE)
_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----[\s\S]*?"
                          r"(?:-----END (?:[A-Z]+ )?PRIVATE KEY-----|$)")
_KNOWN_TOKENS = re.compile(
    r"\b(?:sk_(?:live|test)_[A-Za-z0-9]{8,}|rk_live_[A-Za-z0-9]{8,}|gh[pousr]_[A-Za-z0-9]{20,}"
    r"|github_pat_[A-Za-z0-9_]{20,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{20,}"
    r"|xox[abposr]-[A-Za-z0-9-]{10,}|glpat-[A-Za-z0-9_-]{20,})")


@dataclass(frozen=True, slots=True)
class CredentialSpan:
    """A credential found inside a value: what it is and where (to mask it)."""

    kind: str  # "password in a URL", "bearer token", "private key", "API token"
    start: int
    end: int


def find_credentials(value: str) -> tuple[CredentialSpan, ...]:
    """Credentials written in `value` in plain text, whatever the variable is called: a
    password in a URL's userinfo (postgres://user:pw@, redis://:pw@, https://u:token@),
    an Authorization-style bearer token, a PEM private key, well-known API token shapes.
    Templates and placeholders (`${DB_PASSWORD}`, `changeme`) are not credentials."""
    found: list[CredentialSpan] = []
    for match in _URL_USERINFO.finditer(value):
        secret = match.group(1)
        if not _TEMPLATE.search(secret) and not _PLACEHOLDER.match(secret) and secret != "*":
            found.append(CredentialSpan("password in a URL", match.start(1), match.end(1)))
    for match in _BEARER.finditer(value):
        if not _TEMPLATE.search(match.group(1)):
            found.append(CredentialSpan("bearer token", match.start(1), match.end(1)))
    for match in _PRIVATE_KEY.finditer(value):
        found.append(CredentialSpan("private key", match.start(), match.end()))
    for match in _KNOWN_TOKENS.finditer(value):
        if not any(f.start <= match.start() < f.end for f in found):
            found.append(CredentialSpan("API token", match.start(), match.end()))
    return tuple(sorted(found, key=lambda f: f.start))


def mask_credentials(value: str, mask: str = "***") -> str:
    """`value` with every credential `find_credentials` sees replaced by `mask`."""
    out, last = [], 0
    for span in find_credentials(value):
        if span.start < last:
            continue
        out += [value[last:span.start], mask]
        last = span.end
    out.append(value[last:])
    return "".join(out)


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
    elif spans := find_credentials(value):
        kinds = ", ".join(dict.fromkeys(s.kind for s in spans))
        flags.append(EnvFlag("credential-in-value",
                             f"holds a credential in plain text ({kinds}): anyone who can "
                             "view the service reads it"))
    return tuple(flags)


def masked_value(var: EnvVar) -> str:
    """`var`'s value as it may be printed: hidden when a secret-like name holds a plain
    value (the doctor's plain-secret rule), credentials masked otherwise."""
    if any(f.rule == "plain-secret" for f in env_flags(var)):
        return PLAIN_SECRET_HIDDEN
    return mask_credentials(var.value)
