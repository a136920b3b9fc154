"""What a capture document holds, and the checks a document read from disk must pass.

Qt-free, like everything about captures. The checks are strict where a view would compute with
a value (and so fail later, far from the cause) and lenient elsewhere: a reader should show as
much of an odd capture as it can, and refuse with one line naming the field when it cannot.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.events import EVENT_TYPES, Event, event_from_json

__all__ = [
    "EXCHANGE_KEYS",
    "FORMAT",
    "VERSION",
    "Capture",
    "CaptureError",
    "exchange_to_json",
    "parse_document",
]

FORMAT = "ctxscope-capture"
VERSION = 1  # bump when a reader of the previous version could misread the new one

_COMMON_EVENT_KEYS = ("seq", "t_ns", "thread", "request_id", "kind", "name", "blueprint", "depth")
EXCHANGE_KEYS = (
    "request_id",
    "method",
    "url",
    "request_headers",
    "request_body",
    "status",
    "response_headers",
    "response_body",
    "started",
    "elapsed_ms",
)


class CaptureError(Exception):
    """A capture could not be read or written; ``str()`` is one line meant for the user."""


@dataclass
class Capture:
    """A capture read back from disk."""

    events: list[Event]  # in file order (the order they were recorded)
    exchanges: list[dict[str, Any]]  # bodies as bytes again
    clock_offset_ns: int | None = None  # epoch_ns - monotonic_ns when saved, None if unknown
    created: str | None = None  # ISO 8601 time the file was written
    extra: dict[str, Any] = field(default_factory=dict)  # unknown top-level keys, kept as read


def exchange_to_json(ex: Mapping[str, Any]) -> dict[str, Any]:
    """An exchange as the file stores it: every key present, bodies base64, headers as pairs."""
    out: dict[str, Any] = {}
    for key in EXCHANGE_KEYS:
        value = ex.get(key)
        if key in ("request_body", "response_body"):
            value = base64.b64encode(bytes(value or b"")).decode("ascii")
        elif key in ("request_headers", "response_headers"):
            value = [[str(k), str(v)] for k, v in (value or [])]
        out[key] = value
    return out


def parse_document(doc: Any) -> Capture:
    """The ``Capture`` in a decoded JSON document; ``CaptureError`` says what is wrong."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CaptureError(f'not a ctxscope capture (no "format": "{FORMAT}")')
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise CaptureError("capture has no valid version number")
    if version > VERSION:
        raise CaptureError(
            f"capture version {version} is newer than this ctxscope reads ({VERSION})"
        )
    if version < 1:
        raise CaptureError(f"unknown capture version {version}")
    events_json = doc.get("events")
    exchanges_json = doc.get("exchanges", [])
    if not isinstance(events_json, list):
        raise CaptureError('"events" must be a list')
    if not isinstance(exchanges_json, list):
        raise CaptureError('"exchanges" must be a list')
    events = [_parse_event(i, obj) for i, obj in enumerate(events_json)]
    exchanges = [_parse_exchange(i, obj) for i, obj in enumerate(exchanges_json)]
    offset = None
    clock = doc.get("clock")
    if isinstance(clock, dict):
        epoch_ns, mono_ns = clock.get("epoch_ns"), clock.get("monotonic_ns")
        if isinstance(epoch_ns, int) and isinstance(mono_ns, int):
            offset = epoch_ns - mono_ns
    known = {"format", "version", "created", "clock", "events", "exchanges"}
    created = doc.get("created") if isinstance(doc.get("created"), str) else None
    extra = {k: v for k, v in doc.items() if k not in known}
    return Capture(events, exchanges, offset, created, extra)


def _parse_event(index: int, obj: Any) -> Event:
    where = f"event #{index}"
    if not isinstance(obj, dict):
        raise CaptureError(f"{where} is not an object")
    missing = [k for k in _COMMON_EVENT_KEYS if k not in obj]
    if missing:
        raise CaptureError(f"{where} lacks {', '.join(missing)}")
    kind = obj["kind"]
    if not isinstance(kind, str) or kind not in EVENT_TYPES:
        raise CaptureError(f"{where} has unknown kind {kind!r}")
    for key in ("seq", "t_ns", "thread"):
        if not _is_int(obj[key]):
            raise CaptureError(f"{where} ({kind}): {key} must be an integer")
    if obj["request_id"] is not None and not _is_int(obj["request_id"]):
        raise CaptureError(f"{where} ({kind}): request_id must be an integer or null")
    depth = obj["depth"]
    if not isinstance(depth, dict) or not all(_is_int(v) for v in depth.values()):
        raise CaptureError(f"{where} ({kind}): depth must be an object of integers")
    for key in ("name", "blueprint"):
        if obj[key] is not None and not isinstance(obj[key], str):
            raise CaptureError(f"{where} ({kind}): {key} must be a string or null")
    problem = _field_problem(EVENT_TYPES[kind], obj)
    if problem:
        raise CaptureError(f"{where} ({kind}): {problem}")
    try:
        return event_from_json(obj)
    except (KeyError, TypeError, ValueError) as exc:
        raise CaptureError(f"{where} ({kind}) is malformed: {exc}") from None


_SIMPLE_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "str": (str,),
    "bool": (bool,),
    "float": (int, float),
}


@functools.cache
def _field_checks(cls: type[Event]) -> tuple[tuple[str, tuple[type, ...] | None, bool], ...]:
    """(field, accepted types or None for any, None allowed) from the class's annotations."""
    hints = {f.name: f.type for f in dataclasses.fields(cls)}
    out = []
    for name in cls._extra_fields:
        text = str(hints.get(name, "Any")).replace(" ", "")
        parts = text.split("|")
        optional = "None" in parts
        parts = [p for p in parts if p != "None"]
        types: tuple[type, ...] | None = None
        if len(parts) == 1 and parts[0] in _SIMPLE_TYPES:
            types = _SIMPLE_TYPES[parts[0]]
        elif len(parts) == 1 and parts[0].startswith("list["):
            types = (list,)
        out.append((name, types, optional))
    return tuple(out)


def _field_problem(cls: type[Event], obj: dict[str, Any]) -> str | None:
    """Why ``obj`` cannot be an event of ``cls`` (missing or mistyped fields), or None."""
    # The WebSocket views compute with every non-optional ws_* field, so those must be there;
    # elsewhere a null is tolerated (shown as such) rather than refusing a whole capture.
    strict = cls.kind.startswith("ws_")
    for name, types, optional in _field_checks(cls):
        value = obj.get(name)
        if value is None:
            if strict and not optional and types is not None:
                return f"{name} is missing"
            continue
        if types is None:
            continue  # a summary: any JSON value
        if bool not in types and isinstance(value, bool):
            return f"{name} must be {types[0].__name__}, not bool"
        if not isinstance(value, types):
            return f"{name} must be {types[0].__name__}, not {type(value).__name__}"
    return None


def _parse_exchange(index: int, obj: Any) -> dict[str, Any]:
    where = f"exchange #{index}"
    if not isinstance(obj, dict):
        raise CaptureError(f"{where} is not an object")
    out: dict[str, Any] = {}
    for key in EXCHANGE_KEYS:
        value = obj.get(key)
        if key in ("request_body", "response_body"):
            if value is None:
                value = b""
            elif isinstance(value, str):
                try:
                    value = base64.b64decode(value, validate=True)
                except (binascii.Error, ValueError):
                    raise CaptureError(f"{where}: {key} is not valid base64") from None
            else:
                raise CaptureError(f"{where}: {key} must be a base64 string")
        elif key in ("request_headers", "response_headers"):
            value = value or []
            if not isinstance(value, list) or not all(
                isinstance(p, list) and len(p) == 2 and all(isinstance(s, str) for s in p)
                for p in value
            ):
                raise CaptureError(f"{where}: {key} must be a list of [name, value] strings")
            value = [list(p) for p in value]
        elif key in ("method", "url"):
            if not isinstance(value, str):
                raise CaptureError(f"{where}: {key} must be a string")
        elif key == "status":
            if not _is_int(value):
                raise CaptureError(f"{where}: status must be an integer")
        elif key in ("started", "elapsed_ms"):
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise CaptureError(f"{where}: {key} must be a number")
            value = float(value)
        elif key == "request_id" and value is not None and not _is_int(value):
            raise CaptureError(f"{where}: request_id must be an integer or null")
        out[key] = value
    return out


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
