"""'Did you mean ...?': the closest known names to one the user typed, for errors that
must not read as "nothing there" (a typo in a service name during an incident)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest_names(name: str, known: Iterable[str], n: int = 3) -> list[str]:
    """Up to `n` known names closest to `name`: fuzzy matches first, then names that
    contain it or that it contains (a prefix typed short, a suffix left off)."""
    names = list(dict.fromkeys(known))
    close = difflib.get_close_matches(name, names, n=n, cutoff=0.6)
    lowered = name.lower()
    for candidate in names:
        if len(close) >= n:
            break
        low = candidate.lower()
        if candidate not in close and lowered and (lowered in low or low in lowered):
            close.append(candidate)
    return close


def unknown_name(kind: str, name: str, known: Iterable[str], where: str = "") -> str:
    """One line: `unknown service 'backend-stagin' in sandbox-staging; did you mean
    backend-staging?` (or the list of names there are when nothing is close)."""
    names = sorted(set(known))
    place = f" in {where}" if where else ""
    close = closest_names(name, names)
    if close:
        return f"unknown {kind} {name!r}{place}; did you mean {' or '.join(close)}?"
    if not names:
        return f"unknown {kind} {name!r}{place}: there are none"
    shown = ", ".join(names[:8]) + (f" (+{len(names) - 8} more)" if len(names) > 8 else "")
    return f"unknown {kind} {name!r}{place}; known: {shown}"
