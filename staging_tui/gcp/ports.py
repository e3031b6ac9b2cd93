"""Moved to staging_tui/ports.py (below gcp/ and audit/, so the doctor shares them).
Kept for imports written before the move; new code imports staging_tui.ports."""

from staging_tui.ports import (
    Batch,
    HealthCheck,
    JobsSource,
    LogSource,
    MetricsSource,
    Probes,
    SecretReader,
    SecretStore,
    ServicesSource,
    ServiceUpdates,
    TunnelControl,
    TunnelHandle,
)

__all__ = [
    "Batch",
    "HealthCheck",
    "JobsSource",
    "LogSource",
    "MetricsSource",
    "Probes",
    "SecretReader",
    "SecretStore",
    "ServiceUpdates",
    "ServicesSource",
    "TunnelControl",
    "TunnelHandle",
]
