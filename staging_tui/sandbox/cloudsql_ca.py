"""The sandbox's certificate authority for Cloud SQL.

One CA per sandbox signs each instance's server certificate and the ephemeral
client certificates that `generateEphemeralCert` hands out, so the connector's
mutual TLS works unchanged: it trusts `serverCaCert` and presents a certificate
this CA signed. EC keys keep start-up fast; the client keys are the connector's
own (RSA 2048), we only sign their public half.
"""

from __future__ import annotations

import ssl
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PEM = serialization.Encoding.PEM
# Clock skew between signing and use (real Cloud SQL backdates too).
BACKDATE = timedelta(minutes=1)


def _name(common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "staging-tui sandbox"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


class LocalCA:
    """Self-signed CA; `ca_pem` is what connectSettings returns as serverCaCert."""

    def __init__(self, name: str = "staging-tui sandbox Cloud SQL CA") -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        self._name = _name(name)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(self._name).issuer_name(self._name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE).not_valid_after(now + timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        self.ca_pem = self.cert.public_bytes(PEM).decode()

    def sign_client(self, public_key_pem: str, common_name: str, lifetime_s: float
                    ) -> x509.Certificate:
        """An ephemeral client certificate for the posted public key."""
        public_key = serialization.load_pem_public_key(public_key_pem.encode())
        now = datetime.now(UTC)
        return (
            x509.CertificateBuilder()
            .subject_name(_name(common_name)).issuer_name(self._name)
            .public_key(public_key)  # type: ignore[arg-type]
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(now + timedelta(seconds=lifetime_s))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(self._key, hashes.SHA256())
        )

    def server_context(self, common_name: str) -> ssl.SSLContext:
        """A TLS 1.3 server context that requires a client certificate from this CA."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name)).issuer_name(self._name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .sign(self._key, hashes.SHA256())
        )
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cadata=self.ca_pem)
        with tempfile.TemporaryDirectory(prefix="staging-tui-ca-") as tmp:
            cert_file, key_file = Path(tmp) / "cert.pem", Path(tmp) / "key.pem"
            cert_file.write_bytes(cert.public_bytes(PEM))
            key_file.write_bytes(key.private_bytes(
                PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
            ctx.load_cert_chain(cert_file, key_file)
        return ctx


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(PEM).decode()
