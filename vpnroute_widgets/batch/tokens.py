"""Deterministic ids: a batch id from the batch's content, a ClientToken from the batch id and a row.

The same input gives the same batch id, and the same row the same ClientToken, so running a
batch again after a crash sends the tokens the cloud has already seen and creates nothing twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

__all__ = ["derive_batch_id", "derive_client_token"]


def derive_batch_id(requests: Iterable[tuple]) -> str:
    """A short id from the content of the whole batch: the same input gives the same id."""
    digest = hashlib.sha256(repr(sorted(map(repr, requests))).encode()).hexdigest()
    return f"b{digest[:11]}"


def derive_client_token(batch_id: str, identity: tuple, operation: str = "create") -> str:
    """The ClientToken of one row: the batch id and the row's content, so a re-run reuses it."""
    digest = hashlib.sha256(repr((batch_id, operation, identity)).encode()).hexdigest()
    return f"vw-{batch_id[:20]}-{digest[:32]}"
