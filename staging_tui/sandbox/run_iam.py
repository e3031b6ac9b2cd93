"""Who may invoke a Cloud Run service, per the scenario: its IAM policy (served by
`Services.GetIamPolicy`) and its ingress, which the emulated service URLs enforce.

Cloud Run services are private by default: only principals with roles/run.invoker
(`allUsers` makes a service public) get through, unless `invoker_iam_disabled` is set;
other callers get 403. A service with `internal` ingress is not reachable from outside
its VPC: 404 (https://cloud.google.com/run/docs/securing/managing-access,
https://cloud.google.com/run/docs/securing/ingress).

Scenario keys per `[[services]]`: `public = true` (allUsers has roles/run.invoker),
`invoker_iam_disabled = true`, `caller_can_invoke = false` (the console's user lacks
run.invoker), `ingress = "internal"`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

INVOKER = "roles/run.invoker"
SANDBOX_USER = "user:developer@sandbox.example"
FORBIDDEN = ("<html><head><title>403 Forbidden</title></head><body><h1>Error: Forbidden</h1>"
             "<h2>Your client does not have permission to get URL <code>{path}</code> from "
             "this server.</h2></body></html>")
NOT_FOUND = ("<html><head><title>404 Page not found</title></head><body><h1>Error: Page not "
             "found</h1><h2>The requested URL was not found on this server.</h2></body></html>")


@dataclass(frozen=True)
class ServiceAccess:
    public: bool  # allUsers has roles/run.invoker
    iam_disabled: bool
    caller_can_invoke: bool
    ingress: str

    @classmethod
    def of(cls, spec: Mapping[str, Any]) -> ServiceAccess:
        return cls(public=bool(spec.get("public", False)),
                   iam_disabled=bool(spec.get("invoker_iam_disabled", False)),
                   caller_can_invoke=bool(spec.get("caller_can_invoke", True)),
                   ingress=str(spec.get("ingress", "all")))

    def bindings(self) -> list[tuple[str, list[str]]]:
        members = ["allUsers"] if self.public else []
        if self.caller_can_invoke:
            members.append(SANDBOX_USER)
        return [(INVOKER, members)] if members else []

    def answer(self, has_identity: bool) -> int:
        """0 when the request may reach the container, else the HTTP status Google sends."""
        if self.ingress not in ("all", ""):
            return 404  # internal / internal-and-cloud-load-balancing: not from outside
        if self.public or self.iam_disabled:
            return 0
        if not has_identity or not self.caller_can_invoke:
            return 403
        return 0
