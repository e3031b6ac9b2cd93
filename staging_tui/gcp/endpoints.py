"""Where the adapters talk: Google (with ADC) or the sandbox (insecure channel + token).

The sandbox difference is confined here: the adapters get a transport and
credentials from `Endpoints` and are otherwise the same code for both.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from staging_tui.errors import ADC_FIX, CredentialsError

SANDBOX_TOKEN = "sandbox"


@dataclass(frozen=True)
class Endpoints:
    """`sandbox` is true when `grpc_target` etc. point at the local emulator."""

    sandbox: bool = False
    grpc_target: str = ""
    sql_admin_url: str = ""
    http_target: str = ""

    @classmethod
    def google(cls) -> Endpoints:
        return cls()

    @classmethod
    def for_sandbox(cls, endpoints: dict[str, str]) -> Endpoints:
        return cls(
            sandbox=True,
            grpc_target=endpoints["grpc"],
            sql_admin_url=endpoints.get("sqladmin", ""),
            http_target=endpoints.get("http", ""),
        )

    def credentials(self) -> Any:
        """google.auth credentials: a fixed token for the sandbox, ADC otherwise."""
        if self.sandbox:
            from google.oauth2.credentials import Credentials

            return Credentials(token=SANDBOX_TOKEN)  # type: ignore[no-untyped-call]
        return application_default_credentials()[0]

    def grpc_channel(self) -> Any:
        """An insecure grpc.aio channel to the sandbox (must be called in the loop);
        every call on it is counted by the session's call meter (gcp/call_meter.py)."""
        import grpc

        from staging_tui.gcp.call_meter import MeterInterceptor

        return grpc.aio.insecure_channel(
            self.grpc_target,
            options=[
                ("grpc.max_receive_message_length", 64 * 1024 * 1024),
                ("grpc.max_send_message_length", 64 * 1024 * 1024),
            ],
            interceptors=[MeterInterceptor()],
        )

    def google_channel(self, transport: Any) -> Any:
        """A channel to Google for a client library's gRPC asyncio `transport` class, with
        ADC and the session's call meter (gcp/call_meter.py) on it."""
        from staging_tui.gcp.call_meter import MeterInterceptor

        return transport.create_channel(credentials=self.credentials(),
                                        interceptors=[MeterInterceptor()])


def adc_file() -> Path | None:
    """Where ADC would be read from: $GOOGLE_APPLICATION_CREDENTIALS or gcloud's file."""
    explicit = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if explicit:
        return Path(explicit)
    config = os.environ.get("CLOUDSDK_CONFIG") or str(Path.home() / ".config" / "gcloud")
    well_known = Path(config) / "application_default_credentials.json"
    return well_known if well_known.is_file() else None


def application_default_credentials() -> tuple[Any, str]:
    """(credentials, project) from ADC, or a CredentialsError with the fix.

    Without an ADC file we stop before google.auth probes the GCE metadata server
    (a link-local address a workstation has no business calling), unless we run on
    Google Cloud where that server is how credentials arrive (STAGING_TUI_ON_GCP=1).
    """
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    if adc_file() is None and os.environ.get("STAGING_TUI_ON_GCP") != "1":
        raise CredentialsError(
            "no Application Default Credentials found "
            "(~/.config/gcloud/application_default_credentials.json is missing)",
            ADC_FIX,
        )
    os.environ.setdefault("NO_GCE_CHECK", "True")

    try:
        creds, project = google.auth.default(
            scopes=["https://www.googleapis.com/auth/cloud-platform"]
        )
    except DefaultCredentialsError:
        raise CredentialsError(
            "no Application Default Credentials found "
            "(~/.config/gcloud/application_default_credentials.json is missing)",
            ADC_FIX,
        ) from None
    return creds, project or ""


def account_of(credentials: Any) -> str:
    """The account email ADC stands for, when the credentials say."""
    for attr in ("service_account_email", "_service_account_email", "account"):
        value = getattr(credentials, attr, "")
        if isinstance(value, str) and "@" in value:
            return value
    return ""
