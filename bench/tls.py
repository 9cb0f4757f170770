"""The run's TLS material: a trustme CA, the server's certificate, the clients' bundle.

Made once per ``python -m bench`` run into a temporary directory. The bench server
serves TLS on 127.0.0.1 with ``server.pem``; every client trusts ``bundle.pem`` the
way users configure it: ``AWS_CA_BUNDLE`` for the AWS clients (ours included), an
``ssl.SSLContext`` loaded from the same file for the raw ones (``bench.kinds``).

By default the bundle is certifi's public roots followed by the run's CA, so every
client parses as many roots on its first HTTPS call as it does in production (a
context from the public roots costs ~0.1-0.2 s of CPU here; from one CA, nothing):
a cold start over HTTPS then pays what a real one pays. ``ca_only`` leaves the
roots out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TLSFiles:
    """Paths of the run's TLS files."""

    bundle: str  # CA bundle the clients trust (AWS_CA_BUNDLE)
    cert: str  # server certificate chain (PEM)
    key: str  # server private key (PEM)
    roots: int  # number of certificates in the bundle


def make_tls_files(directory: str | Path, ca_only: bool = False) -> TLSFiles:
    """Create a CA and a certificate for ``127.0.0.1`` under ``directory``."""
    import trustme

    out = Path(directory)
    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    cert, key, bundle = out / "server.pem", out / "server.key", out / "bundle.pem"
    for blob in leaf.cert_chain_pems:
        blob.write_to_path(cert, append=True)
    leaf.private_key_pem.write_to_path(key)
    roots = b""
    if not ca_only:
        import certifi

        roots = Path(certifi.where()).read_bytes().rstrip(b"\n") + b"\n"
    bundle.write_bytes(roots + ca.cert_pem.bytes())
    count = bundle.read_bytes().count(b"-----BEGIN CERTIFICATE-----")
    return TLSFiles(str(bundle), str(cert), str(key), count)
