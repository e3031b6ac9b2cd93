"""The `:` command line (k9s' habit): parse `:svc backend`, `:logs backend-staging`,
`:secret redis`, `:tunnel biocirv`, `:describe backend-staging`, `:q`, and complete them
(verbs, then the names the argument takes). Pure: the TUI runs what `parse` returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from staging_tui.render.suggestions import closest_names

# verb -> (action, kind of argument: "service", "secret", "instance" or "")
VERBS: dict[str, tuple[str, str]] = {
    "svc": ("services", "service"), "services": ("services", "service"),
    "logs": ("logs", "service"), "log": ("logs", "service"),
    "secret": ("secrets", "secret"), "secrets": ("secrets", "secret"),
    "tunnel": ("database", "instance"), "db": ("database", "instance"),
    "database": ("database", "instance"),
    "query": ("query", "instance"), "sql": ("query", "instance"),
    "doctor": ("doctor", ""),
    "describe": ("describe", "service"), "desc": ("describe", "service"),
    "q": ("quit", ""), "quit": ("quit", ""),
}
HELP = ("svc [NAME] · logs [SERVICE] · secret [NAME] · tunnel [INSTANCE] · query [INSTANCE] · "
        "describe SERVICE · doctor · q")


@dataclass(frozen=True, slots=True)
class Command:
    action: str   # services, logs, secrets, database, query, doctor, describe, quit
    arg: str = ""


def parse(text: str, names: Mapping[str, Sequence[str]] | None = None) -> Command:
    """The command in `text` (a leading ':' is optional). ValueError names what is wrong
    and the closest verbs; an argument that is not one of `names[kind]` (when known) is
    an error too, except for filters (svc, secret), which may be any substring."""
    words = text.strip().removeprefix(":").split(None, 1)
    if not words:
        raise ValueError(f"type a command: {HELP}")
    verb, arg = words[0].lower(), (words[1].strip() if len(words) > 1 else "")
    if verb not in VERBS:
        close = closest_names(verb, VERBS)
        hint = f"; did you mean :{' or :'.join(close)}?" if close else f" ({HELP})"
        raise ValueError(f"unknown command :{verb}{hint}")
    action, kind = VERBS[verb]
    if action == "describe" and not arg:
        raise ValueError(":describe needs a service name (Tab completes)")
    known = list((names or {}).get(kind, ()))
    if arg and known and action in ("logs", "describe", "database", "query"):
        match = _resolve(arg, known)
        if match is None:
            close = closest_names(arg, known)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            raise ValueError(f"unknown {kind} {arg!r}{hint}")
        arg = match
    return Command(action, arg)


def _resolve(arg: str, known: Sequence[str]) -> str | None:
    """An exact name, else the one name it is a unique prefix of."""
    if arg in known:
        return arg
    starts = [k for k in known if k.startswith(arg)]
    return starts[0] if len(starts) == 1 else None


def complete(text: str, names: Mapping[str, Sequence[str]]) -> list[str]:
    """Whole-line candidates for `text`: verbs while the first word is typed, then the
    names its argument takes (prefix matches first, then substring matches)."""
    body = text.lstrip().removeprefix(":")
    if " " not in body:
        return [v + (" " if VERBS[v][1] else "") for v in VERBS if v.startswith(body.lower())]
    verb, _, arg = body.partition(" ")
    kind = VERBS.get(verb.lower(), ("", ""))[1]
    if not kind:
        return []
    arg = arg.lstrip()
    known = list(names.get(kind, ()))
    first = [k for k in known if k.startswith(arg)]
    then = [k for k in known if arg and arg in k and k not in first]
    return [f"{verb} {k}" for k in first + then]
