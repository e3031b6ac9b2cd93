"""HTTP health checks of Cloud Run services (status and latency).

Against Google it GETs the service URL + path; in the sandbox it connects to the
emulated services endpoint and sends the service's host name as `Host`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import aiohttp

from staging_tui.domain import access_verdict
from staging_tui.gcp.endpoints import Endpoints


@dataclass(frozen=True, slots=True)
class HealthResult:
    url: str
    status: int = 0
    latency_ms: float = 0.0
    error: str = ""
    body: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300 and not self.error

    def access(self, ingress: str = "all") -> str:
        """Why Cloud Run refused the request (IAM, ingress), if it did."""
        return "" if self.error else access_verdict(self.status, ingress)


def identity_token(endpoints: Endpoints, audience: str) -> str:
    """An OpenID Connect identity token for `audience` (the service URL), made from the
    user's credentials, as Cloud Run's IAM check wants it (blocking: run in a thread).

    Service-account keys and the metadata server: google.oauth2.id_token.fetch_id_token;
    impersonation: impersonated_credentials.IDTokenCredentials; user ADC: the id_token
    its refresh returns (what `gcloud auth print-identity-token` prints)."""
    from google.auth import impersonated_credentials
    from google.auth.transport.requests import Request

    creds = endpoints.credentials()
    request = Request()
    if isinstance(creds, impersonated_credentials.Credentials):
        id_creds = impersonated_credentials.IDTokenCredentials(  # type: ignore[no-untyped-call]
            creds, target_audience=audience, include_email=True)
        id_creds.refresh(request)
        return str(id_creds.token)
    if not endpoints.sandbox and not hasattr(creds, "refresh_token"):
        from google.oauth2 import id_token

        return str(id_token.fetch_id_token(request, audience))  # type: ignore[no-untyped-call]
    creds.refresh(request)  # type: ignore[no-untyped-call]
    return str(getattr(creds, "id_token", "") or "")


async def check_health(endpoints: Endpoints, uri: str, path: str, timeout_s: float = 5.0
                       ) -> HealthResult:
    path = path if path.startswith("/") else "/" + path
    url = uri.rstrip("/") + path
    target, headers = url, {}
    try:
        token = await asyncio.to_thread(identity_token, endpoints, uri.rstrip("/"))
    except Exception:  # no identity: the request goes without (public services answer)
        token = ""
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if endpoints.sandbox:
        host = uri.split("://", 1)[-1].rstrip("/")
        target = f"http://{endpoints.http_target}{path}"
        headers["Host"] = host
    started = time.perf_counter()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as http:
            async with http.get(target, headers=headers, allow_redirects=False) as resp:
                body = (await resp.text())[:300]
                latency = (time.perf_counter() - started) * 1000
                return HealthResult(url, resp.status, latency, body=body)
    except TimeoutError:
        return HealthResult(url, error=f"no answer within {timeout_s:.0f} s")
    except aiohttp.ClientError as exc:
        return HealthResult(url, error=f"{type(exc).__name__}: {exc}")
