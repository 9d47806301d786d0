"""The CA and server certificate a fleet uses for its HTTPS hosts.

``generate_tls_material(directory)`` makes a throw-away CA and a server certificate for
``127.0.0.1`` and ``localhost`` (SAN IP + DNS, serverAuth), signed by that CA. Clients validate
the server with the CA file (``ansible_winrm_ca_trust_path`` / pywinrm
``server_cert_validation='validate'`` + ``ca_trust_path``). Only the CA *certificate* is written;
its key lives in memory for the moment of signing. The server key file is mode 0600.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALID_DAYS = 30


@dataclass(frozen=True)
class TLSMaterial:
    """Paths of the CA certificate, the server certificate and the server key (PEM)."""

    directory: Path
    ca_cert: Path
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        """A fresh server-side SSLContext (TLS 1.2+) loaded with the server certificate."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(str(self.cert), str(self.key))
        return context

    def channel_binding_data(self) -> bytes:
        """``tls-server-end-point:`` + the certificate hash (RFC 5929), what NTLM clients bind.

        The hash is SHA-256 for certificates signed with MD5 or SHA-1, else the
        signature's own hash (RFC 5929 section 4.1), as requests_ntlm computes it.
        """
        cert = x509.load_pem_x509_certificate(self.cert.read_bytes())
        der = cert.public_bytes(serialization.Encoding.DER)
        algorithm = cert.signature_hash_algorithm
        name = algorithm.name if algorithm is not None else "sha256"
        if name in ("md5", "sha1"):
            name = "sha256"
        return b"tls-server-end-point:" + hashlib.new(name, der).digest()


def _write(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, mode)


def generate_tls_material(directory: str | Path, *, common_name: str = "wmssim") -> TLSMaterial:
    """Write ``ca.pem``, ``server.pem`` and ``server.key`` into ``directory``; return their paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    not_before = now - datetime.timedelta(minutes=5)
    not_after = now + datetime.timedelta(days=VALID_DAYS)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{common_name} test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.IPv4Address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )

    material = TLSMaterial(
        directory=directory,
        ca_cert=directory / "ca.pem",
        cert=directory / "server.pem",
        key=directory / "server.key",
    )
    _write(material.ca_cert, ca_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    _write(material.cert, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    _write(
        material.key,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        0o600,
    )
    return material
