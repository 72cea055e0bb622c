"""Reviewer pseudonyms for anything exported: a keyed hash, stable for one key, not reversible
without it (Art. 24(5) DSA: no personal data in transparency submissions)."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "rv-"
DIGITS = 16  # 64 bits: collisions are negligible for any realistic team of reviewers


def pseudonym(reviewer: str, secret: bytes) -> str:
    """``rv-`` and 16 hex digits of HMAC-SHA256(secret, reviewer)."""
    digest = hmac.new(secret, reviewer.encode("utf-8"), hashlib.sha256).hexdigest()
    return PREFIX + digest[:DIGITS]
