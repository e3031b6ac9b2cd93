"""The URLs Cloud Run gives a service, per region and project.

Google gives each service two URLs (https://cloud.google.com/run/docs/triggering/https-request):
the deterministic `https://SERVICE-PROJECT_NUMBER.REGION.run.app` and the older
`https://SERVICE-HASH-REGIONCODE.a.run.app`. Both name the region, so same-named
services in two regions get different URLs. The health endpoint resolves a Host
header back to its (region, service) through `host_table`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

# Region codes seen in *.a.run.app URLs; other regions get their initials.
_REGION_CODES = {
    "us-central1": "uc", "us-east1": "ue", "us-east4": "uk", "us-west1": "uw",
    "europe-west1": "ew", "europe-west2": "nw", "europe-west3": "ey", "europe-west4": "ez",
    "asia-northeast1": "an", "asia-east1": "de", "australia-southeast1": "ts",
}


def project_number(tables: Mapping[str, Any], project: str) -> str:
    """`[project] number`, else a stable 12-digit number derived from the id."""
    number = tables.get("project", {}).get("number")
    if number:
        return str(number)
    # the same number Scenario.project_number gives (Secret Manager's resource names)
    return str(100_000_000_000 + int(hashlib.sha1(project.encode()).hexdigest(), 16)
               % 900_000_000_000)


def region_code(region: str) -> str:
    if region in _REGION_CODES:
        return _REGION_CODES[region]
    parts = region.split("-")
    return (parts[0][0] + parts[1][0]) if len(parts) > 1 else region[:2]


def service_hash_host(project: str, region: str, name: str) -> str:
    full = f"projects/{project}/locations/{region}/services/{name}"
    digest = hashlib.sha1(full.encode()).hexdigest()[:10]
    return f"{name}-{digest}-{region_code(region)}.a.run.app"


def service_urls(tables: Mapping[str, Any], project: str, region: str, name: str
                 ) -> tuple[str, str]:
    """(uri, deterministic url) of a service."""
    return (f"https://{service_hash_host(project, region, name)}",
            f"https://{name}-{project_number(tables, project)}.{region}.run.app")


def tag_url(uri: str, tag: str) -> str:
    """A traffic tag's URL: https://TAG---SERVICE-HASH-CODE.a.run.app."""
    return uri.replace("https://", f"https://{tag}---", 1)


def host_table(tables: Mapping[str, Any], project: str, default_region: str
               ) -> dict[str, tuple[str, str]]:
    """Every host name a service answers on -> (region, service name), tags included."""
    hosts: dict[str, tuple[str, str]] = {}
    for spec in tables.get("services", []):
        name, region = str(spec["name"]), str(spec.get("region", default_region))
        for url in service_urls(tables, project, region, name):
            hosts[url.removeprefix("https://")] = (region, name)
        uri = service_urls(tables, project, region, name)[0]
        for t in spec.get("traffic", []):
            if t.get("tag"):
                hosts[tag_url(uri, str(t["tag"])).removeprefix("https://")] = (region, name)
    return hosts
