"""The two value rules every input path shares: what counts as blank, and what counts as a boolean.

Forms, the batch reader (CSV cells, DataFrame cells), log records and CSV reports all read
values through these, so ``"TRUE"`` means the same everywhere and a NaN cell of a DataFrame is
as empty as a blank CSV cell. Standard library only (pandas' NA and NaT are recognised by type
name, so the client can use this without importing pandas).
"""

from __future__ import annotations

from typing import Any

__all__ = ["is_blank", "parse_bool"]

_TRUE, _FALSE = "true", "false"
_NA_TYPES = frozenset({"NAType", "NaTType"})


def is_blank(value: Any) -> bool:
    """None, NaN, pandas' NA and NaT, and text of only spaces all mean "no value"."""
    if value is None or type(value).__name__ in _NA_TYPES:
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, str) and not value.strip()


def parse_bool(value: Any) -> bool | None:
    """``True``/``False`` (numpy's too) or the words true/false in any case; None when not a boolean.

    Numbers and words such as "yes" or "1" are not booleans here: the API takes ``true`` and
    ``false`` only, and guessing would turn a typo into a route published by mistake.
    """
    if isinstance(value, bool):
        return value
    if getattr(value, "dtype", None) is not None and getattr(value.dtype, "kind", "") == "b" and value.ndim == 0:
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in (_TRUE, _FALSE):
            return word == _TRUE
    return None
