"""Secret Manager: secrets, their versions, a payload (never shown in a repr)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class VersionState(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"
    DESTROYED = "destroyed"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class SecretVersion:
    secret: str
    version: str
    state: VersionState
    create_time: datetime | None = None
    destroy_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class Secret:
    name: str
    project: str
    create_time: datetime | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    replication: str = "automatic"
    versions: tuple[SecretVersion, ...] = ()
    versions_error: str = ""  # why the versions could not be listed (e.g. PERMISSION_DENIED)
    location: str = ""  # a regional secret's region (projects/P/locations/L/secrets/S)
    versions_known: bool = True  # False: listed by name only, versions not fetched (quota)

    @property
    def latest_enabled(self) -> SecretVersion | None:
        enabled = [v for v in self.versions if v.state is VersionState.ENABLED]
        return max(enabled, key=lambda v: int(v.version), default=None)

    @property
    def latest(self) -> SecretVersion | None:
        """The newest version whatever its state: what the `latest` alias resolves to."""
        return max(self.versions, key=lambda v: int(v.version), default=None)

    def version(self, number: str) -> SecretVersion | None:
        """Version `number` ("3"), or `latest`; None if there is no such version."""
        if number == "latest":
            return self.latest
        return next((v for v in self.versions if v.version == number), None)


@dataclass(frozen=True, slots=True)
class SecretPayload:
    """A secret's value. `data` never appears in repr, str or tracebacks of this object."""

    secret: str
    version: str
    data: bytes = field(repr=False)

    def __str__(self) -> str:
        return f"<secret {self.secret}@{self.version}: {len(self.data)} bytes>"
