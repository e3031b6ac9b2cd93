"""OAuth in the sandbox: a token endpoint and a bearer-token check on every gRPC call.

Google's APIs reject a call without a valid OAuth access token (UNAUTHENTICATED,
"Request had invalid authentication credentials ..."), and an expired or revoked
grant fails at refresh time with `invalid_grant`, which the gRPC auth plugin of
google-auth surfaces as UNAVAILABLE "Getting metadata from plugin failed ...". The
sandbox reproduces both: clients get their token from `POST /token` here (a refresh
token grant, as `google.oauth2.credentials.Credentials` does) and send it over a
local channel with call credentials; the check is a server interceptor of its own,
composable with others.

Scenario:

    [auth]
    state = "valid"            # valid | expired | revoked: refreshing fails from the start
    revoke_after_calls = 0     # >0: after N gRPC calls every token is revoked (UNAUTHENTICATED)
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import grpc
from aiohttp import web

from staging_tui.sandbox.server_context import SandboxContext

SHARED_KEY = "auth"
UNAUTHENTICATED = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)
INVALID_GRANT = {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}


class TokenAuthority:
    """Which access tokens are valid now; issues them while the grant is good."""

    def __init__(self, table: Mapping[str, Any]) -> None:
        state = str(table.get("state", "valid"))
        self.grant_ok = state == "valid"
        self.revoke_after_calls = int(table.get("revoke_after_calls", 0))
        self.calls = 0
        self.refreshes = 0
        self._valid: set[str] = set()
        self._id_tokens: set[str] = set()
        self._numbers = itertools.count(1)

    def issue(self) -> str | None:
        """A fresh access token, or None when the grant is expired or revoked."""
        self.refreshes += 1
        if not self.grant_ok:
            return None
        token = f"ya29.sandbox-{next(self._numbers)}"
        self._valid.add(token)
        return token

    def issue_id_token(self) -> str:
        """An OpenID Connect ID token, returned with each refresh (as Google's token
        endpoint does for user credentials): what Cloud Run's IAM check accepts."""
        token = f"eyJ.sandbox-id-{next(self._numbers)}"
        self._id_tokens.add(token)
        return token

    def admits_id_token(self, authorization: str) -> bool:
        scheme, _, token = authorization.partition(" ")
        return self.grant_ok and scheme.lower() == "bearer" and token in self._id_tokens

    def revoke(self) -> None:
        """Every token stops working and refreshing fails (`gcloud auth revoke`)."""
        self.grant_ok = False
        self._valid.clear()
        self._id_tokens.clear()

    def admits(self, authorization: str) -> bool:
        self.calls += 1
        if self.revoke_after_calls and self.calls > self.revoke_after_calls:
            self.revoke()
        scheme, _, token = authorization.partition(" ")
        return scheme.lower() == "bearer" and token in self._valid


def _denied(handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    async def abort(_request: Any, context: grpc.aio.ServicerContext) -> None:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, UNAUTHENTICATED)

    kinds: dict[tuple[bool, bool], Callable[..., grpc.RpcMethodHandler]] = {
        (False, False): grpc.unary_unary_rpc_method_handler,
        (False, True): grpc.unary_stream_rpc_method_handler,
        (True, False): grpc.stream_unary_rpc_method_handler,
        (True, True): grpc.stream_stream_rpc_method_handler,
    }
    build = kinds[(handler.request_streaming, handler.response_streaming)]
    return build(abort, request_deserializer=handler.request_deserializer,
                 response_serializer=handler.response_serializer)


class BearerTokenCheck(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Refuses any call whose `authorization` metadata is not a valid bearer token."""

    def __init__(self, authority: TokenAuthority) -> None:
        self.authority = authority

    async def intercept_service(
        self, continuation: Callable[[Any], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None:
            return handler
        metadata = dict(details.invocation_metadata or ())
        if self.authority.admits(str(metadata.get("authorization", ""))):
            return handler
        return _denied(handler)


def interceptor(ctx_shared: dict[str, Any], table: Mapping[str, Any]) -> BearerTokenCheck:
    """The check for a new server; the authority is shared with the token endpoint."""
    authority = TokenAuthority(table)
    ctx_shared[SHARED_KEY] = authority
    return BearerTokenCheck(authority)


async def install(ctx: SandboxContext) -> None:
    """Serve `POST /token` (OAuth 2 refresh-token grant) for the sandbox's clients."""
    authority: TokenAuthority = ctx.shared[SHARED_KEY]

    async def token(request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("grant_type") != "refresh_token" or not form.get("refresh_token"):
            return web.json_response({"error": "invalid_request"}, status=400)
        issued = authority.issue()
        if issued is None:
            return web.json_response(INVALID_GRANT, status=400)
        return web.json_response({"access_token": issued, "expires_in": 3599,
                                  "token_type": "Bearer", "id_token": authority.issue_id_token(),
                                  "scope": "openid https://www.googleapis.com/auth/cloud-platform"})

    app = web.Application()
    app.router.add_post("/token", token)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    ctx.cleanup.push_async_callback(runner.cleanup)
    ctx.endpoints["token"] = f"http://127.0.0.1:{runner.addresses[0][1]}/token"
