"""Calls this session made to each Google API, over the last minute.

Per-minute quotas are per project, shared by the team and CI (docs/performance.md,
"API calls per minute"), so the console counts what it spends: every gRPC call goes
through `MeterInterceptor`s added to the channels (gcp/endpoints.py), and the `quota`
line of the `?` help reads `SESSION_METER.last_minute()`.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

import grpc

# gRPC package prefix -> the API's short name (the quota line and the budgets use these)
_APIS = (
    ("/google.logging.", "logging"),
    ("/google.cloud.secretmanager.", "secretmanager"),
    ("/google.cloud.run.", "run"),
    ("/google.monitoring.", "monitoring"),
)


def api_of(method: str) -> str:
    for prefix, api in _APIS:
        if method.startswith(prefix):
            return api
    return method.split("/")[1].split(".")[1] if method.count("/") >= 2 else method


class CallMeter:
    """(time, api, method) of recent calls; thread-safe, bounded to a few minutes."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, keep: float = 300.0) -> None:
        self.clock = clock
        self.keep = keep
        self.total: Counter[str] = Counter()  # per method, since start
        self._recent: deque[tuple[float, str]] = deque()
        self._lock = threading.Lock()

    def record(self, method: str) -> None:
        now = self.clock()
        with self._lock:
            self.total[method] += 1
            self._recent.append((now, method))
            while self._recent and now - self._recent[0][0] > self.keep:
                self._recent.popleft()

    def last_minute(self) -> Counter[str]:
        """Calls per API in the last 60 s."""
        now = self.clock()
        with self._lock:
            return Counter(api_of(m) for t, m in self._recent if now - t <= 60.0)

    def line(self) -> str:
        """"quota (calls in the last minute): logging 3 · secretmanager 2"."""
        counts = self.last_minute()
        body = " · ".join(f"{api} {n}" for api, n in sorted(counts.items())) or "none"
        return f"quota: this session's API calls in the last minute: {body}"


SESSION_METER = CallMeter()


class MeterInterceptor(grpc.aio.UnaryUnaryClientInterceptor,  # type: ignore[misc]
                       grpc.aio.StreamStreamClientInterceptor):  # type: ignore[misc]
    """Counts each call (unary, and each opened stream) on its way out."""

    def __init__(self, meter: CallMeter = SESSION_METER) -> None:
        self.meter = meter

    async def intercept_unary_unary(self, continuation: Any, client_call_details: Any,
                                    request: Any) -> Any:
        self.meter.record(_method(client_call_details))
        return await continuation(client_call_details, request)

    async def intercept_stream_stream(self, continuation: Any, client_call_details: Any,
                                      request_iterator: Any) -> Any:
        self.meter.record(_method(client_call_details))
        return await continuation(client_call_details, request_iterator)


def _method(details: Any) -> str:
    method = details.method
    return method.decode() if isinstance(method, bytes) else str(method)
