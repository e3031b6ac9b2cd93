"""The services' own HTTP endpoints, emulated: answers health checks by Host header.

Real Cloud Run URLs (https://NAME-HASH-uc.a.run.app) are not reachable offline, so
health checks in sandbox mode connect here and send the service's host as `Host`.
A ready service answers 200; a failed one 503 with its failure message. Before that,
Cloud Run's front end: a private service needs an identity token of an invoker (403
otherwise), an internal-ingress one is not reachable from here (404) (sandbox/run_iam.py).
"""

from __future__ import annotations

from aiohttp import web

from staging_tui.sandbox.auth import SHARED_KEY as AUTH_KEY
from staging_tui.sandbox.auth import TokenAuthority
from staging_tui.sandbox.run_iam import FORBIDDEN, NOT_FOUND, ServiceAccess
from staging_tui.sandbox.run_urls import host_table
from staging_tui.sandbox.server_context import SandboxContext


async def install(ctx: SandboxContext) -> None:
    sc = ctx.scenario
    hosts = host_table(sc.tables, sc.project, sc.region)
    status: dict[tuple[str, str], tuple[int, str]] = {}
    access: dict[tuple[str, str], ServiceAccess] = {}
    authority: TokenAuthority | None = ctx.shared.get(AUTH_KEY)
    for spec in sc.tables.get("services", []):
        name = str(spec["name"])
        key = (str(spec.get("region", sc.region)), name)
        access[key] = ServiceAccess.of(spec)
        count = int(spec.get("revisions", 1))
        ready = int(spec.get("latest_ready", count)) >= count or bool(spec.get("deploying"))
        code = int(spec.get("health_status", 200 if ready else 503))
        status[key] = (code, str(spec.get("failure", "")) if code >= 400 else "ok")

    async def health(request: web.Request) -> web.Response:
        host = request.headers.get("Host", "").split(":")[0]
        if host not in hosts:
            return web.Response(status=404, text=f"no service for host {host}")
        auth = request.headers.get("Authorization", "")
        identity = authority is None or authority.admits_id_token(auth)
        refused = access[hosts[host]].answer(identity)
        if refused == 404:
            return web.Response(status=404, text=NOT_FOUND, content_type="text/html")
        if refused:
            return web.Response(status=refused, text=FORBIDDEN.format(path=request.path),
                                content_type="text/html")
        code, body = status[hosts[host]]
        return web.Response(status=code, text=body)

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", health)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    ctx.endpoints["http"] = f"127.0.0.1:{port}"
    ctx.cleanup.push_async_callback(runner.cleanup)
