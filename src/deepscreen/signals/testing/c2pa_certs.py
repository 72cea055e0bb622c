"""A throw-away ES256 certificate chain (root, intermediate, end entity) with the extensions C2PA
requires of a signer. Test data for ``c2pa_fixtures`` only; keys are generated per process.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

ORGANIZATION = "deepscreen test"
CA_NAME = "deepscreen test CA"
ROOT_NAME = "deepscreen test root"
_DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")  # id-kp-documentSigning


@dataclass(frozen=True, slots=True)
class Credentials:
    """An ES256 end-entity certificate chain (end entity, intermediate; PEM) and its key."""

    chain_pem: bytes
    key_pem: bytes
    not_valid_after: dt.datetime


@functools.cache
def _authority() -> tuple[x509.Certificate, x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A self-signed root, the intermediate CA it signs, and the intermediate's key."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = _certificate(ROOT_NAME, root_key, ROOT_NAME, root_key, ca=1)
    key = ec.generate_private_key(ec.SECP256R1())
    return root, _certificate(CA_NAME, key, ROOT_NAME, root_key, ca=0), key


def root_pem() -> str:
    """The test root certificate (PEM), for a reader configured to trust it."""
    return _authority()[0].public_bytes(serialization.Encoding.PEM).decode()


def credentials(lifetime: dt.timedelta = dt.timedelta(days=3650)) -> Credentials:
    """A fresh end-entity certificate (valid from 5 minutes ago for ``lifetime``) under the
    cached test CA, with the extensions C2PA requires: critical KeyUsage digitalSignature,
    EKU documentSigning + emailProtection, CA:false."""
    _, intermediate, intermediate_key = _authority()
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    leaf = _certificate(
        "deepscreen test signer", key, CA_NAME, intermediate_key, ca=None, start=now, life=lifetime
    )
    chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (leaf, intermediate))
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return Credentials(chain, key_pem, leaf.not_valid_after_utc)


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: str,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: int | None,
    start: dt.datetime | None = None,
    life: dt.timedelta = dt.timedelta(days=3650),
) -> x509.Certificate:
    """``ca`` is the CA path length, or None for an end-entity (signing) certificate."""
    start = start or dt.datetime.now(dt.UTC).replace(microsecond=0)
    signing = ca is None
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - dt.timedelta(minutes=5))
        .not_valid_after(start + life)
        .add_extension(x509.BasicConstraints(ca=not signing, path_length=ca), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
        .add_extension(_key_usage(signing), critical=True)
    )
    if signing:
        usages = [_DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _key_usage(signing: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signing,
        crl_sign=not signing,
        encipher_only=False,
        decipher_only=False,
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
        ]
    )
