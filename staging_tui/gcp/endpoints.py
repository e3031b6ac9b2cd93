"""Where the adapters talk: Google (with ADC) or the sandbox (insecure channel + token).

The sandbox difference is confined here: the adapters get a transport and
credentials from `Endpoints` and are otherwise the same code for both.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from staging_tui.errors import ADC_FIX, CredentialsError

if TYPE_CHECKING:
    import grpc
    from google.auth.credentials import Credentials

SANDBOX_TOKEN = "sandbox"
SANDBOX_REFRESH_TOKEN = "sandbox-refresh-token"


@dataclass(frozen=True)
class Endpoints:
    """`sandbox` is true when `grpc_target` etc. point at the local emulator."""

    sandbox: bool = False
    grpc_target: str = ""
    sql_admin_url: str = ""
    http_target: str = ""
    token_uri: str = ""  # the sandbox's OAuth token endpoint

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
            token_uri=endpoints.get("token", ""),
        )

    def credentials(self) -> Credentials:
        """google.auth credentials: ADC, or for the sandbox user credentials that
        refresh from its token endpoint (so an expired grant fails as on Google)."""
        if self.sandbox:
            from google.oauth2.credentials import Credentials

            if not self.token_uri:  # an old sandbox without a token endpoint
                return Credentials(token=SANDBOX_TOKEN)  # type: ignore[no-untyped-call]
            return Credentials(  # type: ignore[no-untyped-call]
                token=None, refresh_token=SANDBOX_REFRESH_TOKEN, token_uri=self.token_uri,
                client_id="sandbox", client_secret="sandbox")
        return application_default_credentials()[0]

    def grpc_channel(self) -> grpc.aio.Channel:
        """A grpc.aio channel to the sandbox (must be called in the loop): local
        channel credentials plus google-auth's metadata plugin, which puts a bearer
        token on every call (refreshing it as on Google); every call on it is counted by
        the session's call meter (gcp/call_meter.py)."""
        import grpc
        from google.auth.transport.grpc import AuthMetadataPlugin
        from google.auth.transport.requests import Request

        from staging_tui.gcp.call_meter import MeterInterceptor

        plugin = AuthMetadataPlugin(self.credentials(), Request())  # type: ignore[no-untyped-call]
        credentials = grpc.composite_channel_credentials(
            grpc.local_channel_credentials(grpc.LocalConnectionType.LOCAL_TCP),
            grpc.metadata_call_credentials(plugin, name="google-auth"),
        )
        return grpc.aio.secure_channel(
            self.grpc_target,
            credentials,
            options=[
                ("grpc.max_receive_message_length", 64 * 1024 * 1024),
                ("grpc.max_send_message_length", 64 * 1024 * 1024),
            ],
            interceptors=[MeterInterceptor()],
        )

    def google_channel(self, transport: Any) -> grpc.aio.Channel:
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


GAC = "GOOGLE_APPLICATION_CREDENTIALS"
GAC_FIX = (f"point {GAC} at a valid key file, or unset it to use gcloud's ADC "
           "(gcloud auth application-default login)")


def disable_gce_probe() -> None:
    """Tell google-auth not to probe the GCE metadata server (a link-local address a
    workstation has no business calling), unless we run on Google Cloud where that
    server is how credentials arrive (STAGING_TUI_ON_GCP=1).

    google-auth reads NO_GCE_CHECK once, when `google.auth.compute_engine._metadata`
    is imported, and only the exact value "true" counts (environment_vars.py,
    _metadata.py): so it is set before any google module loads, and lower-case.
    """
    if os.environ.get("STAGING_TUI_ON_GCP") != "1":
        os.environ.setdefault("NO_GCE_CHECK", "true")


disable_gce_probe()
# gRPC logs every failing auth-plugin call (expired ADC) with a traceback at ERROR, on
# stderr and so over the TUI's screen: the console reports that error itself, once.
logging.getLogger("grpc._plugin_wrapping").setLevel(logging.CRITICAL)


def application_default_credentials() -> tuple[Credentials, str]:
    """(credentials, project) from ADC, or a CredentialsError with the fix.

    Without an ADC file we stop before google.auth looks any further; a
    GOOGLE_APPLICATION_CREDENTIALS that names a missing or malformed file gets its
    own message (google-auth reads that variable first and stops there).
    """
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    explicit = os.environ.get(GAC)
    if explicit and not Path(explicit).is_file():
        raise CredentialsError(f"{GAC} points at {explicit}, which does not exist", GAC_FIX)
    if adc_file() is None and os.environ.get("STAGING_TUI_ON_GCP") != "1":
        raise CredentialsError(
            "no Application Default Credentials found "
            "(~/.config/gcloud/application_default_credentials.json is missing)",
            ADC_FIX,
        )
    try:
        creds, project = google.auth.default(
            scopes=["https://www.googleapis.com/auth/cloud-platform"]
        )
    except (DefaultCredentialsError, ValueError) as exc:
        if explicit:
            raise CredentialsError(
                f"{GAC} file {explicit} is not a usable credentials file: {exc}", GAC_FIX,
            ) from None
        raise CredentialsError(
            f"Application Default Credentials could not be loaded: {exc}", ADC_FIX,
        ) from None
    return creds, project or ""


def quota_project_of(credentials: Credentials) -> str:
    """The project billed for API quota: GOOGLE_CLOUD_QUOTA_PROJECT (as the Cloud SQL
    connector reads it), else the credentials' own quota_project_id (ADC's
    `quota_project_id`, set by `gcloud auth application-default set-quota-project`)."""
    env = os.environ.get("GOOGLE_CLOUD_QUOTA_PROJECT", "")
    value = env or getattr(credentials, "quota_project_id", None) or ""
    return value if isinstance(value, str) else ""


def account_of(credentials: Credentials) -> str:
    """The account email ADC stands for, when the credentials say."""
    for attr in ("service_account_email", "_service_account_email", "account"):
        value = getattr(credentials, attr, "")
        if isinstance(value, str) and "@" in value:
            return value
    return ""
