"""Deterministic names and identifiers for replicated objects (same inputs, same output)."""

import hashlib
import uuid

# The alphabet Kubernetes uses for generated name suffixes (no vowels, no look-alikes).
_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def derived_hex(*parts: str) -> str:
    """Return 64 hex characters derived from parts, shaped like a container ID."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


def derived_uid(*parts: str) -> str:
    """Return a version-4 shaped UUID string derived from parts."""
    return str(uuid.UUID(hex=derived_hex(*parts)[:32], version=4))


def derived_suffix(*parts: str, length: int = 5) -> str:
    """Return a generated-name suffix such as 'x7k2q' derived from parts."""
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    return "".join(_SUFFIX_ALPHABET[b % len(_SUFFIX_ALPHABET)] for b in digest[:length])
