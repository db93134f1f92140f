"""The one TLS setting every connection uses: the system's certificates, host names checked."""

from __future__ import annotations

import ssl


def tls_context() -> ssl.SSLContext:
    """A fresh client context with verification on (tests replace this to trust their own
    certificate authority, never to turn verification off)."""
    return ssl.create_default_context()


def untrusted(error: ssl.SSLCertVerificationError) -> str:
    """``certificate not trusted (self-signed certificate)``: OpenSSL's own words, shortened."""
    return f"certificate not trusted ({error.verify_message or error.reason})"
