"""Where the adapters talk: Google (with ADC) or the sandbox (insecure channel + token).

The sandbox difference is confined here: the adapters get a transport and
credentials from `Endpoints` and are otherwise the same code for both.
"""

from __future__ import annotations

from dataclasses import dataclass
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

            return Credentials(token=SANDBOX_TOKEN)
        return application_default_credentials()[0]

    def grpc_channel(self) -> Any:
        """An insecure grpc.aio channel to the sandbox (must be called in the loop)."""
        import grpc

        return grpc.aio.insecure_channel(
            self.grpc_target,
            options=[
                ("grpc.max_receive_message_length", 64 * 1024 * 1024),
                ("grpc.max_send_message_length", 64 * 1024 * 1024),
            ],
        )


def application_default_credentials() -> tuple[Any, str]:
    """(credentials, project) from ADC, or a CredentialsError with the fix."""
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

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
