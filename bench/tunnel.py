"""Tunnel benchmark, one run on loopback against a sandbox Cloud SQL instance.

    uv run python bench/tunnel.py [--seconds 5] [--copy-mb 500]

The sandbox (a child process) serves the Admin API and the instance's mutual-TLS
server in front of a real PostgreSQL. Three ways to reach it, side by side:

1. direct:  the connector's own connection (`Connector.connect(..., "psycopg")`:
            mTLS socket made the way the connector makes it), in this process
2. tunnel:  our gcp/cloudsql.py tunnel, in a child process (as `staging-tui tunnel`)
3. stunnel: Debian's stunnel4 in client mode doing the same mTLS wrap (if installed)

Measured: select-only transactions/s with 8 clients (pgbench -S through the local
listeners; the same Python 8-thread workload on all three for the ratio with direct),
the throughput of a COPY ... TO STDOUT of --copy-mb MB, and connection set-up time
(connect + SELECT 1) through the tunnel vs straight to PostgreSQL.
Targets: tunnel >= 0.8 x stunnel (>= 0.7 x direct without stunnel); set-up overhead
<= 5 ms once the certificate is cached.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

SCENARIO = """
[project]
id = "bench-tunnel"
region = "us-central1"
[[sql]]
name = "bench-db"
databases = ["bench"]
user = "postgres"
password_secret = "bench-superuser-password"
ip_types = ["PUBLIC"]
"""
INSTANCE = "bench-tunnel:us-central1:bench-db"
PGBENCH_DIRS = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin")
Connect = Callable[[], "psycopg.Connection[Any]"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def superuser_password(endpoints: dict[str, str]) -> str:
    from staging_tui.gcp.endpoints import Endpoints
    from staging_tui.gcp.secrets import SecretsAdapter

    async def read() -> str:
        secrets = SecretsAdapter(Endpoints.for_sandbox(endpoints), "bench-tunnel")
        try:
            return (await secrets.access("bench-superuser-password")).data.decode()
        finally:
            await secrets.close()

    return asyncio.run(read())


# ------------------------------------------------------------------ tunnel child
def serve_tunnel(endpoints: dict[str, str], port: int) -> None:
    """Child mode: our tunnel alone in its own interpreter, like `staging-tui tunnel`."""
    from staging_tui.domain import SqlInstance, TunnelOptions
    from staging_tui.gcp.endpoints import Endpoints
    from staging_tui.gcp.tunnels import Tunnels

    async def main() -> None:
        tunnels = Tunnels(Endpoints.for_sandbox(endpoints), "bench-tunnel")
        tunnel = await tunnels.start(SqlInstance(INSTANCE, database="bench"),
                                     TunnelOptions(port=port), test=False)
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        print(json.dumps({"dial_ms": tunnel.dial_ms}), flush=True)
        await tunnels.close(0)

    if os.environ.get("BENCH_UVLOOP"):  # optional: measure the tunnel on uvloop
        import uvloop  # type: ignore[import-not-found, unused-ignore]

        uvloop.run(main())
    else:
        asyncio.run(main())


# ------------------------------------------------------------------ stunnel
def client_certificate(admin: str, tmp: Path) -> tuple[str, Path, Path, Path]:
    """(instance address, ca, cert, key) from the sandbox Admin API, like the connector."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    base = f"{admin}/sql/v1beta4/projects/bench-tunnel/instances/bench-db"
    headers = {"Authorization": "Bearer sandbox", "Content-Type": "application/json"}
    with urllib.request.urlopen(urllib.request.Request(f"{base}/connectSettings",
                                                       headers=headers)) as r:
        settings = json.load(r)
    body = json.dumps({"public_key": public}).encode()
    with urllib.request.urlopen(urllib.request.Request(
            f"{base}:generateEphemeralCert", data=body, headers=headers)) as r:
        cert = json.load(r)["ephemeralCert"]["cert"]
    ca, crt, pem = tmp / "ca.pem", tmp / "client.pem", tmp / "key.pem"
    ca.write_text(settings["serverCaCert"]["cert"])
    crt.write_text(cert)
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.TraditionalOpenSSL,
                                      serialization.NoEncryption()))
    return settings["ipAddresses"][0]["ipAddress"], ca, crt, pem


def start_stunnel(admin: str, tmp: Path, port: int) -> subprocess.Popen[bytes] | None:
    binary = shutil.which("stunnel4") or shutil.which("stunnel")
    if binary is None:
        return None
    address, ca, crt, key = client_certificate(admin, tmp)
    conf = tmp / "stunnel.conf"
    conf.write_text(
        f"foreground = yes\npid =\n[pg]\nclient = yes\naccept = 127.0.0.1:{port}\n"
        f"connect = {address}:3307\ncert = {crt}\nkey = {key}\nCAfile = {ca}\n"
        "verifyChain = yes\nsslVersionMin = TLSv1.3\ncheckHost = \n".replace("checkHost = \n", ""))
    proc = subprocess.Popen([binary, str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_port(port)
    return proc


# ------------------------------------------------------------------ workloads
def select_only(connect: Connect, clients: int, seconds: float, accounts: int) -> float:
    """pgbench -S in Python: 8 threads, one SELECT by primary key per transaction."""
    counts = [0] * clients
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        import random

        rng = random.Random(i)
        with connect() as conn:
            conn.autocommit = True
            cur = conn.cursor()
            n = 0
            while time.monotonic() < stop:
                cur.execute("SELECT abalance FROM pgbench_accounts WHERE aid = %s",
                            (rng.randint(1, accounts),), prepare=True)
                cur.fetchone()
                n += 1
            counts[i] = n

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / seconds


def pgbench_tps(port: int, password: str, seconds: int) -> float | None:
    binary = shutil.which("pgbench") or next(
        (f"{d}/pgbench" for d in PGBENCH_DIRS if os.path.exists(f"{d}/pgbench")), None)
    if binary is None:
        return None
    env = {**os.environ, "PGPASSWORD": password}
    out = subprocess.run([binary, "-S", "-c", "8", "-j", "2", "-T", str(seconds), "-n",
                          "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "bench"],
                         capture_output=True, text=True, env=env, check=True).stdout
    match = re.search(r"tps = ([\d.]+)", out)
    return float(match.group(1)) if match else None


def copy_mb_s(connect: Connect, megabytes: int) -> float:
    rows = megabytes * 1024  # 1 KiB a row
    started = time.perf_counter()
    total = 0
    with connect() as conn, conn.cursor() as cur, cur.copy(
            f"COPY (SELECT repeat('x', 1023) FROM generate_series(1, {rows})) TO STDOUT") as copy:
        for block in copy:
            total += len(block)
    return total / (1024 * 1024) / (time.perf_counter() - started)


def setup_ms(connect: Connect, n: int = 30) -> float:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        with connect() as conn:
            conn.execute("SELECT 1")
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


# ------------------------------------------------------------------ main
def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--copy-mb", type=int, default=500)
    parser.add_argument("--scale", type=int, default=10, help="pgbench -i scale")
    parser.add_argument("--serve-tunnel", default="", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_tunnel:
        serve_tunnel(json.loads(args.serve_tunnel), args.port)
        return

    from google.cloud.sql.connector import Connector
    from google.oauth2.credentials import Credentials

    from staging_tui.sandbox.process import SandboxProcess

    tmp = Path(tempfile.mkdtemp(prefix="bench-tunnel-"))
    scenario = tmp / "scenario.toml"
    scenario.write_text(SCENARIO)
    sandbox = SandboxProcess(scenario)
    sandbox.begin()
    endpoints = sandbox.wait()
    # The instance user is the server's superuser; its password is random per sandbox
    # run and only in the sandbox's Secret Manager.
    password = superuser_password(endpoints)
    tunnel_port, stunnel_port = free_port(), free_port()
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve-tunnel", json.dumps(endpoints),
         "--port", str(tunnel_port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdin is not None
    assert child.stdout.readline().strip() == "ready"
    stunnel = start_stunnel(endpoints["sqladmin"], tmp, stunnel_port)
    connector = Connector(credentials=Credentials(token="sandbox"),  # type: ignore[no-untyped-call]
                          sqladmin_api_endpoint=endpoints["sqladmin"])

    def via(port: int) -> Connect:
        return lambda: psycopg.connect(host="127.0.0.1", port=port, dbname="bench",
                                       user="postgres", password=password, sslmode="disable")

    def direct() -> psycopg.Connection[Any]:
        conn: psycopg.Connection[Any] = connector.connect(
            INSTANCE, "psycopg", user="postgres", password=password, db="bench")
        return conn

    try:
        # initialise pgbench tables through the tunnel (also warms the database)
        pgbench = shutil.which("pgbench") or f"{PGBENCH_DIRS[0]}/pgbench"
        subprocess.run([pgbench, "-i", "-q", "-s", str(args.scale), "-h", "127.0.0.1",
                        "-p", str(tunnel_port), "-U", "postgres", "bench"], check=True,
                       env={**os.environ, "PGPASSWORD": password}, capture_output=True)
        accounts = 100_000 * args.scale
        modes: dict[str, Connect] = {"direct": direct, "tunnel": via(tunnel_port)}
        if stunnel is not None:
            modes["stunnel"] = via(stunnel_port)
        results: dict[str, dict[str, float | None]] = {}
        for name, connect in modes.items():
            setup_ms(connect, 3)  # warm certificates and caches
            results[name] = {
                "py_tps": select_only(connect, 8, args.seconds, accounts),
                "pgbench_tps": pgbench_tps(tunnel_port if name == "tunnel" else stunnel_port,
                                           password, int(args.seconds))
                if name != "direct" else None,
                "copy_mb_s": copy_mb_s(connect, args.copy_mb),
                "setup_ms": setup_ms(connect),
            }
        report(results, args, stunnel is not None)
        child.stdin.close()
        print(f"tunnel dial (cert cached, TLS 1.3 handshake): "
              f"{json.loads(child.stdout.readline())['dial_ms']:.1f} ms (last)")
    finally:
        connector.close()
        if child.poll() is None:
            child.kill()
        if stunnel is not None:
            stunnel.terminate()
        sandbox.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def report(results: dict[str, dict[str, float | None]], args: argparse.Namespace,
           have_stunnel: bool) -> None:
    print(f"\nselect-only, 8 clients, {args.seconds:.0f} s each; COPY {args.copy_mb} MB TO STDOUT")
    print(f"{'mode':<9}{'py tps':>10}{'pgbench tps':>13}{'COPY MB/s':>11}{'setup ms':>10}")
    for name, r in results.items():
        pgb = f"{r['pgbench_tps']:.0f}" if r["pgbench_tps"] else "-"
        print(f"{name:<9}{r['py_tps'] or 0:>10.0f}{pgb:>13}{r['copy_mb_s'] or 0:>11.0f}"
              f"{r['setup_ms'] or 0:>10.1f}")
    t = results["tunnel"]
    base = "stunnel" if have_stunnel else "direct"
    target = 0.8 if have_stunnel else 0.7
    b = results[base]
    # The select-only figure is pgbench -S when available; the Python 8-thread
    # workload (GIL-bound in this process) stands in for it otherwise.
    pgbench = have_stunnel and bool(t["pgbench_tps"] and b["pgbench_tps"])
    py_ratio = (t["py_tps"] or 0) / (b["py_tps"] or 1)
    ratios = {"pgbench tps": (t["pgbench_tps"] or 0) / (b["pgbench_tps"] or 1)} if pgbench \
        else {"py tps": py_ratio}
    ratios["COPY"] = (t["copy_mb_s"] or 0) / (b["copy_mb_s"] or 1)
    for key, ratio in ratios.items():
        print(f"tunnel / {base} {key}: {ratio:.2f}x (target >= {target})")
    if pgbench:
        print(f"tunnel / {base} py tps: {py_ratio:.2f}x "
              "(reference: the Python client is GIL-bound; the target is on pgbench -S)")
    d = results["direct"]
    print(f"tunnel / direct py tps: {(t['py_tps'] or 0) / (d['py_tps'] or 1):.2f}x, "
          f"COPY: {(t['copy_mb_s'] or 0) / (d['copy_mb_s'] or 1):.2f}x")
    # Every path pays TCP + the TLS 1.3 handshake + the PostgreSQL login; the overhead is
    # what the tunnel adds on top (medians of 30 connect + SELECT 1, certificate cached).
    overheads = {name: (t["setup_ms"] or 0) - (r["setup_ms"] or 0)
                 for name, r in results.items() if name != "tunnel"}
    print("set-up overhead (certificate cached): "
          + ", ".join(f"tunnel - {name} {ms:+.1f} ms" for name, ms in overheads.items())
          + " (target <= 5 ms)")


if __name__ == "__main__":
    main()
