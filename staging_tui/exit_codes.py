"""The one exit-code scheme of every headless command (docs/user-guide.md "Exit codes").
Beside config.py in the layers: the doctor (audit/) decides its code with it too.

CI and scripts can tell "staging has problems" (1, 3) from "the command was called
wrong" (2) and "the command could not do its job" (4).
"""

from __future__ import annotations

from staging_tui.errors import ConfigError, InvalidArgument, StagingError, UsageError

OK = 0
"""Done; nothing to report (doctor: every check passed)."""
FINDINGS = 1
"""Done, with warnings or an empty answer worth a look (doctor warnings, a filter that
matched nothing)."""
USAGE = 2
"""Bad arguments or input: an unknown option (argparse), service, revision or profile,
a malformed duration or query. Nothing ran against the project, or what ran is void."""
ERRORS_FOUND = 3
"""Done, and it found errors (doctor errors, a required secret missing)."""
FAILED = 4
"""Could not finish: credentials, an API or the network failed, the tunnel did not start,
a SQL statement failed."""
INTERRUPTED = 130
"""Ctrl+C."""


def for_error(exc: StagingError) -> int:
    """What the user gave was wrong (config, scenario, a rejected argument): USAGE;
    anything else (credentials, an API, the network, the tunnel, SQL): FAILED."""
    return USAGE if isinstance(exc, ConfigError | UsageError | InvalidArgument) else FAILED
