"""Decoded payloads shown to people (Python types) and to programs (plain JSON).

The JSON-friendly form is part of the CLI's stable ``--json`` interface:
tuple -> list, bytes -> ``{"__bytes__": "<standard base64>"}``, UUID -> its canonical string,
datetime -> ISO 8601, Markup -> its string, NaN / ±Infinity -> ``"NaN"`` / ``"Infinity"`` /
``"-Infinity"`` (so the output stays strict JSON). The lossless tagged form is available too.
"""

from __future__ import annotations

import base64
import math
import pprint
import uuid
from datetime import datetime
from typing import Any

__all__ = ["pretty", "to_jsonable"]


def to_jsonable(value: Any) -> Any:
    """``value`` (an untagged payload) as plain JSON types."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, str):
        return str(value)  # Markup is a str subclass; plain str out
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return {"__bytes__": base64.b64encode(value).decode("ascii")}
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return repr(value)


def pretty(value: Any, width: int = 96) -> str:
    """A readable multi-line repr that keeps the Python types visible (tuple, Markup, UUID...)."""
    return pprint.pformat(value, width=width, sort_dicts=False)
