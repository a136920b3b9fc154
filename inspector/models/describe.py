"""How an event reads in a table: one short phrase, and whether it is an error or a stop.

Pure functions over ``engine.events`` objects, shared by the timeline, the request list and the
step-mode view so they all word an event the same way.
"""

from __future__ import annotations

import json
from typing import Any

from engine.events import Event

__all__ = [
    "FLAGGED_KINDS",
    "FLAG_ERROR",
    "FLAG_NONE",
    "FLAG_PAUSED",
    "FLAG_SHORT",
    "event_detail",
    "event_flag",
    "event_json_text",
    "hook_label",
    "hook_tooltip",
    "short_json",
    "thread_label",
]

FLAG_NONE = 0
FLAG_ERROR = 1  # an exception, an error passed along, or a hook that raised
FLAG_SHORT = 2  # a before_request returned a value: the view is skipped
FLAG_PAUSED = 3  # a breakpoint held the thread here

_ERROR_KINDS = frozenset({"exception", "got_request_exception"})


# Kinds that carry an error-ish field; every other kind is FLAG_NONE without a look inside.
FLAGGED_KINDS = frozenset(
    {
        "exception",
        "got_request_exception",
        "paused",
        "before_request",
        "view",
        "url_matched",
        "url_value_preprocessor",
        "after_request",
        "after_this_request",
        "teardown_request",
        "teardown_appcontext",
        "request_tearing_down",
        "appcontext_tearing_down",
        "ws_handshake",
        "ws_frame",
        "error_handler",
    }
)


def event_flag(ev: Event) -> int:
    kind = ev.kind
    if kind not in FLAGGED_KINDS:
        return FLAG_NONE
    if kind in _ERROR_KINDS:
        return FLAG_ERROR
    if kind == "paused":
        return FLAG_PAUSED
    d = ev.as_dict()
    if d.get("raised") or d.get("error"):
        return FLAG_ERROR
    if d.get("short_circuit"):
        return FLAG_SHORT
    return FLAG_NONE


def short_json(value: Any, limit: int = 120) -> str:
    """Compact one-line JSON, cut to ``limit`` characters."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=repr)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def hook_label(ev: Event) -> str:
    """The function that ran, with its blueprint: ``load_user  [child]``.

    Functions defined inside a factory have qualnames like ``create_app.<locals>.load_user``;
    the part after the last ``<locals>.`` is what the user wrote (the full name is in the
    event's JSON).
    """
    name = ev.as_dict().get("name")
    if not name:
        return ""
    if ev.kind in ("local_set", "local_deleted"):
        return ""  # the name is the Local's attribute, shown in the detail
    name = name.rpartition("<locals>.")[2]
    bp = ev.as_dict().get("blueprint")
    return f"{name}  [{bp}]" if bp else name


def hook_tooltip(ev: Event) -> str | None:
    """Everything ``hook_label`` shortens or a narrow cell elides: ``blueprint: qualified name``
    (``admin.reports: create_app.<locals>.before_reports``); None where the label is empty."""
    if not hook_label(ev):
        return None
    d = ev.as_dict()
    bp = d.get("blueprint")
    return f"{bp}: {d['name']}" if bp else str(d["name"])


def event_detail(ev: Event) -> str:
    """The few fields that matter for this kind, as one line."""
    d = ev.as_dict()
    kind = ev.kind
    if kind == "request_ctx_pushed":
        return f"{d['method']} {d['path']}" + ("  (nested)" if d.get("nested") else "")
    if kind in ("app_ctx_pushed",):
        return str(d.get("app", ""))
    if kind == "url_matched":
        if d.get("error"):
            return f"no match: {d['error']}"
        return f"{d.get('rule')} → {d.get('endpoint')} {short_json(d.get('view_args'), 60)}"
    if kind == "session_opened":
        return f"{d.get('verdict')}: {short_json(d.get('session'), 80)}"
    if kind == "session_saved":
        flags = [n for n in ("accessed", "modified", "permanent", "deleted") if d.get(n)]
        sent = "Set-Cookie sent" if d.get("set_cookie") else "no cookie"
        return f"{short_json(d.get('after'), 60)}  {' '.join(flags)}  {sent}"
    if kind == "before_request":
        if d.get("error"):
            return f"raised {d['error']}"
        if d.get("short_circuit"):
            return f"SHORT-CIRCUIT → {short_json(d.get('returned'), 80)}"
        return ""
    if kind == "view":
        if d.get("error"):
            return f"raised {d['error']}"
        return f"returned {short_json(d.get('returned'), 80)}"
    if kind == "exception":
        handled = f"handled by {d.get('handler')}" if d.get("handled") else "unhandled"
        return f"{d.get('error')}  ({handled})"
    if kind == "error_handler":
        return f"{d.get('error')} → {short_json(d.get('returned'), 60)}"
    if kind == "got_request_exception":
        return f"{d.get('error')}" + ("  (propagated)" if d.get("propagated") else "")
    if kind in ("after_request", "after_this_request"):
        return f"status {d.get('status')}" + (f"  raised {d['error']}" if d.get("error") else "")
    if kind == "request_finished":
        return f"status {d.get('status')}"
    if kind in ("teardown_request", "teardown_appcontext"):
        parts = []
        if d.get("error"):
            parts.append(f"error={d['error']}")
        if d.get("raised"):
            parts.append(f"raised {d['raised']}")
        return "  ".join(parts)
    if kind in ("request_tearing_down", "appcontext_tearing_down"):
        return f"error={d['error']}" if d.get("error") else ""
    if kind in ("request_ctx_popped", "app_ctx_popped"):
        return f"error={d['error']}" if d.get("error") else ""
    if kind == "local_set":
        return f"{d.get('local')}.{ev.name} = {short_json(d.get('value'), 80)}"
    if kind in ("local_released", "local_deleted"):
        return f"{d.get('local')} ident {d.get('ident')}"
    if kind == "url_value_preprocessor":
        return short_json(d.get("view_args"), 80)
    if kind in ("before_render_template", "template_rendered"):
        name = d.get("template") or "(template string)"
        return f"{name}  {short_json(d.get('context'), 80)}"
    if kind == "message_flashed":
        return f"[{d.get('category')}] {short_json(d.get('message'), 80)}"
    if kind == "paused":
        return f"held after #{d.get('at_seq')} {d.get('at_kind')}"
    if kind == "resumed":
        return str(d.get("how"))
    if kind == "ws_handshake":
        return f"{d.get('status')} {d.get('path')}"
    if kind == "ws_frame":
        return (
            f"{d.get('direction')} {d.get('opcode_name')} len={d.get('length')}"
            f" {d.get('payload_preview', '')[:40]}"
        )
    if kind == "ws_message":
        return f"{d.get('direction')} {d.get('opcode_name')} {d.get('preview', '')[:60]}"
    if kind == "ws_closed":
        return f"{d.get('code')} {d.get('reason')} by {d.get('closed_by')}"
    return ""


def event_json_text(ev: Event) -> str:
    """The event's stable JSON form, pretty-printed (the details pane)."""
    return json.dumps(ev.to_json(), indent=2, ensure_ascii=False, default=repr)


class ThreadNames:
    """Short stable names (T1, T2, ...) for the long thread idents, in order of appearance."""

    def __init__(self) -> None:
        self._names: dict[int, str] = {}  # ident -> "T<n>"

    def name(self, ident: int) -> str:
        label = self._names.get(ident)
        if label is None:
            label = self._names[ident] = f"T{len(self._names) + 1}"
        return label


def thread_label(names: ThreadNames, ident: int | None) -> str:
    return "" if ident is None else names.name(ident)
