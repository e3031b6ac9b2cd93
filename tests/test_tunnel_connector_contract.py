"""Fails when a cloud-sql-python-connector upgrade breaks the internals gcp/cloudsql.py uses.

The connector has no public byte-tunnel API, so ConnectorSession relies on private
names and signatures; this file pins each one, then dials the sandbox through them.
"""

from __future__ import annotations

import inspect
import ssl
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from fixtures_tunnel import SqlSandbox

from staging_tui.gcp.cloudsql import ConnectorSession

SUPPORTED = ((1, 18), (1, 24))  # >=1.18,<1.24: the pyproject pin (1.18, 1.20, 1.22, 1.23 tested)


def _params(obj: object) -> list[str]:
    return list(inspect.signature(obj).parameters)  # type: ignore[arg-type]


def test_installed_version_is_in_the_supported_range() -> None:
    major, minor = (int(p) for p in version("cloud-sql-python-connector").split(".")[:2])
    assert SUPPORTED[0] <= (major, minor) < SUPPORTED[1]


def test_pyproject_pins_the_same_range() -> None:
    """Widening the pin is a decision: run this file against the new version first."""
    text = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    low, high = (".".join(map(str, v)) for v in SUPPORTED)
    assert f'"cloud-sql-python-connector>={low},<{high}"' in text


def test_internal_names_and_signatures_we_use() -> None:
    from google.cloud.sql.connector.client import CloudSQLClient
    from google.cloud.sql.connector.connection_info import ConnectionInfo
    from google.cloud.sql.connector.connection_name import _parse_connection_name
    from google.cloud.sql.connector.connector import SERVER_PROXY_PORT
    from google.cloud.sql.connector.enums import IPTypes
    from google.cloud.sql.connector.instance import RefreshAheadCache
    from google.cloud.sql.connector.lazy import LazyRefreshCache
    from google.cloud.sql.connector.utils import generate_keys

    assert SERVER_PROXY_PORT == 3307
    assert _params(CloudSQLClient)[:4] == [
        "sqladmin_api_endpoint", "quota_project", "credentials", "client"]
    assert "driver" in _params(CloudSQLClient)
    for cache in (RefreshAheadCache, LazyRefreshCache):
        assert _params(cache)[:4] == ["conn_name", "client", "keys", "enable_iam_auth"]
        for method in ("connect_info", "force_refresh", "close"):
            assert inspect.iscoroutinefunction(getattr(cache, method))
    assert inspect.iscoroutinefunction(generate_keys)
    assert _params(ConnectionInfo.create_ssl_context) == ["self", "enable_iam_auth"]
    assert _params(ConnectionInfo.get_preferred_ip) == ["self", "ip_type"]
    assert {"expiration", "ip_addrs", "database_version"} <= set(
        ConnectionInfo.__dataclass_fields__)
    # cloudsql.py picks a member by name; PUBLIC is the instance's PRIMARY address
    assert [IPTypes[n].value for n in ("PUBLIC", "PRIVATE", "PSC")] == ["PRIMARY", "PRIVATE",
                                                                        "PSC"]
    name = _parse_connection_name("p:us-central1:i")
    assert (name.project, name.region, name.instance_name) == ("p", "us-central1", "i")


async def test_session_dials_the_instance_with_tls13_client_certificate(
        sql_sandbox: SqlSandbox) -> None:
    for refresh in ("background", "lazy"):
        session = ConnectorSession(sql_sandbox.endpoints, "tunnel-test:us-central1:main-db",
                                   iam_auth=False, refresh=refresh)
        try:
            host, port, context, expires = await session.target("PUBLIC")
            assert port == 3307 and host.startswith("127.")
            assert context.minimum_version is ssl.TLSVersion.TLSv1_3
            assert context.verify_mode is ssl.CERT_REQUIRED
            assert expires > datetime.now(UTC)
            await session.invalidate()
        finally:
            await session.close()
