"""Why writes are off, how to get a profile that allows them, and what "read-only"
covers: the words of the Query pane's F2 refusal, the header and the docs."""

from __future__ import annotations

from staging_tui.config import Settings

READ_ONLY_COVERS = ("read-only covers this console (Query statements, secret changes); "
                    "psql or a script through the tunnel can write whatever the database "
                    "user may")


def write_mode_refusal(settings: Settings) -> tuple[str, str]:
    """(why F2 does nothing, how to get a profile that allows it)."""
    where = f"profile {settings.profile!r}"
    if settings.protected:
        return (f"write mode is never available: {where} is protected (production-like) · "
                f"{READ_ONLY_COVERS}",
                "writes belong to another profile; run psql through the tunnel (Database "
                "pane, p copies the command) only if that is really meant")
    source = "the built-in sandbox profile" if settings.source.startswith("<") else \
        settings.source or "the profile"
    how = ("add a profile with read_only = false to staging-tui.toml and start with "
           "--profile NAME")
    if settings.sandbox:
        how += " (on the sandbox too: staging-tui --sandbox --config staging-tui.toml "\
               "--profile NAME)"
    return (f"write mode is off: {where} is read-only (read_only = true in {source}) · "
            f"{READ_ONLY_COVERS}", how)
