"""The one duration parser: '250ms', '30s', '10m', '1h', '2d' (or a number of seconds).

Used by `--since` / the Logs pane's since, and by the sandbox's scenario files."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
DURATION_FORMS = "250ms, 30s, 10m, 1h or 2d"


def parse_duration(value: str | int | float) -> float:
    """A duration in seconds; ValueError naming the value and the accepted forms."""
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a duration: use e.g. {DURATION_FORMS}")
    return float(match.group(1)) * _UNITS[match.group(2)]


# The longest retention a log bucket can have (Cloud Logging: 1 to 3650 days).
MAX_SINCE_DAYS = 3650


def parse_since(text: str) -> timedelta:
    """'10m', '1h', '30s', '2d' -> timedelta (how far back a log query starts); at most
    the longest retention there is, so "999999999d" is an error, not an OverflowError."""
    seconds = parse_duration(text)
    if seconds > MAX_SINCE_DAYS * 86400:
        raise ValueError(f"{text!r} is too far back: Cloud Logging keeps entries at most "
                         f"{MAX_SINCE_DAYS} days (30 by default); use e.g. 7d or 30d")
    return timedelta(seconds=seconds)
