"""Check the service and revision names a headless command was given, before it runs:
a typo must be an error naming the closest names, never an empty answer that reads as
"no errors" during an incident."""

from __future__ import annotations

from staging_tui.backend import Backend
from staging_tui.domain import Service
from staging_tui.render.services import short_revision
from staging_tui.render.suggestions import unknown_name


async def unknown_service_or_revision(backend: Backend, service: str, revision: str
                                      ) -> tuple[str, str]:
    """("", full revision name) when both are known (or not given; a short revision such
    as `00004-7db` is expanded), else (the one-line error to print, "")."""
    if not service and not revision:
        return "", ""
    run_api = await backend.run()
    services = await backend.services()
    where = backend.settings.project
    by_name = {s.name: s for s in services}
    if service and service not in by_name:
        return unknown_name("service", service, by_name, where), ""
    if not revision:
        return "", ""
    owners: list[Service] = [by_name[service]] if service else [
        s for s in services if revision.startswith(s.name + "-")] or services
    known: list[str] = []
    for owner in owners:
        revisions = await run_api.list_revisions(owner.name, owner.region)
        names = [r.name for r in revisions]
        for name in names:
            if revision in (name, short_revision(owner.name, name)):
                return "", name
        known += names
    of = f" of {service}" if service else ""
    return unknown_name("revision", revision, known, f"{where}{of}"), ""
