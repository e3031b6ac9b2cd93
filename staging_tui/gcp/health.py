"""HTTP health checks of Cloud Run services (status and latency).

Against Google it GETs the service URL + path; in the sandbox it connects to the
emulated services endpoint and sends the service's host name as `Host`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import aiohttp

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


async def check_health(endpoints: Endpoints, uri: str, path: str, timeout_s: float = 5.0
                       ) -> HealthResult:
    path = path if path.startswith("/") else "/" + path
    url = uri.rstrip("/") + path
    target, headers = url, {}
    if endpoints.sandbox:
        host = uri.split("://", 1)[-1].rstrip("/")
        target = f"http://{endpoints.http_target}{path}"
        headers = {"Host": host}
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
