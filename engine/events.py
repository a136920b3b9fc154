"""Every step the engine reports, as frozen dataclasses.

One class per event kind. The common fields come first and are the same for every kind; the
kind-specific fields follow. ``to_json()`` gives the stable JSON form that ``ctxscope trace
--json``, ``ctxscope serve`` and captures write: the common keys in this order, ``kind``
included, then the kind's own fields.

Events are built on hot paths, so they are not constructed through the dataclass ``__init__``
(a frozen dataclass sets each field through ``object.__setattr__``, several times slower than the
rest of a hook call). The bus stores one raw tuple per event, ``_raw``: the common values and the
kind's own values, in declaration order, all immutable snapshots taken when the step happened.
The named fields are filled in on first read (``__getattr__``), so a subscriber that only keeps
events (a capture, the window's queue) costs no more than the tuple. ``make_event`` builds a
complete event at once (events read back from JSON). The classes stay frozen to everyone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from .summary import qualname

__all__ = ["EVENT_TYPES", "LIFECYCLE_ORDER", "Event", "event_from_json", "make_event"]

Summary = Any
"""A JSON-friendly summary of a value (see ``engine.summary``), never the live object."""


@dataclass(frozen=True, eq=False)
class Event:
    """Common to every event.

    Guarantee: ``seq`` grows by one per event of an app, in the order events happened on each
    thread; ``depth`` is the app/request stack depth of ``thread`` after the step.
    """

    kind: ClassVar[str] = "event"

    seq: int
    t_ns: int  # time.monotonic_ns() when the step finished
    thread: int  # ident of the unit of concurrency (thread id by default)
    request_id: int | None  # the request the step belongs to, None outside requests
    name: str | None  # qualified name of the hook or view, where there is one
    blueprint: str | None  # dotted blueprint name of the hook, None for the app's own
    depth: Mapping[str, int]  # {"app": n, "request": m} after the step

    # ``_raw`` is a slot, not a field: the bus sets it without a per-instance dict, which is
    # most of what an event costs to build. The filled-in fields live in the instance dict.
    __slots__ = ("__dict__", "_raw")

    def __post_init__(self) -> None:
        _set_raw(self, None)  # built whole through ``__init__``: nothing to fill in

    def __getattr__(self, attr: str) -> Any:
        # Reached only when the instance dict lacks ``attr``: fill in a raw event's fields.
        if attr[:1] == "_":  # never fill for private or dunder lookups (copy, pickle...)
            raise AttributeError(attr)
        raw = _raw_of(self)
        if raw is None:
            raise AttributeError(attr)
        self._fill(raw)
        try:
            return self.__dict__[attr]
        except KeyError:
            raise AttributeError(attr) from None

    def __getstate__(self) -> dict[str, Any]:
        # copy and pickle take the filled-in fields: the raw values may hold live hooks.
        return dict(self.as_dict())

    def __setstate__(self, state: dict[str, Any]) -> None:
        _set_raw(self, None)
        self.__dict__.update(state)

    def _fill(self, raw: tuple[Any, ...]) -> None:
        d = self.__dict__
        seq, t_ns, thread, request_id, name, blueprint, depth, extras = raw
        d["seq"] = seq
        d["t_ns"] = t_ns
        d["thread"] = thread
        d["request_id"] = request_id
        # Hooks pass the function itself; its qualified name is looked up only when read.
        d["name"] = name if name is None or type(name) is str else qualname(name)
        d["blueprint"] = blueprint
        d["depth"] = depth
        d.update(extras if type(extras) is dict else self._decode(extras))
        # Another thread may fill the same event at the same time: both write equal values.
        _set_raw(self, None)

    @classmethod
    def _decode(cls, extras: tuple[Any, ...]) -> Mapping[str, Any]:
        """The kind's own fields from the tuple the emitter passed (in field order; a dict
        the emitter passed is taken as it is).

        A kind may override this to derive display fields from compact raw values (the frame
        tap passes the frame's bytes); whatever it reads must be immutable.
        """
        return dict(zip(cls._extra_fields, extras, strict=True))

    def as_dict(self) -> dict[str, Any]:
        """Every field by name, common ones first (the instance dict: read it, never change it)."""
        raw = _raw_of(self)
        if raw is not None:
            self._fill(raw)
        return self.__dict__

    def to_json(self) -> dict[str, Any]:
        """The stable JSON object of this event (common keys first, then the kind's fields)."""
        d = self.as_dict()
        out = {
            "seq": d["seq"],
            "t_ns": d["t_ns"],
            "thread": d["thread"],
            "request_id": d["request_id"],
            "kind": self.kind,
            "name": d["name"],
            "blueprint": d["blueprint"],
            "depth": dict(d["depth"]),
        }
        for key in self._extra_fields:
            out[key] = d[key]
        return out

    _extra_fields: ClassVar[tuple[str, ...]] = ()


_COMMON = tuple(f.name for f in dataclasses.fields(Event))
_new = object.__new__
_set_raw = Event.__dict__["_raw"].__set__  # the slot's own setter: events are frozen
_raw_of = Event.__dict__["_raw"].__get__


def make_event(
    cls: type[Event],
    seq: int,
    t_ns: int,
    thread: int,
    request_id: int | None,
    name: str | None,
    blueprint: str | None,
    depth: Mapping[str, int],
    fields: dict[str, Any],
) -> Event:
    """Build an event without the per-field cost of a frozen dataclass ``__init__``.

    ``fields`` must hold exactly the kind's own fields; it becomes the instance dictionary.
    """
    ev = _new(cls)
    _set_raw(ev, None)
    fields["seq"] = seq
    fields["t_ns"] = t_ns
    fields["thread"] = thread
    fields["request_id"] = request_id
    fields["name"] = name
    fields["blueprint"] = blueprint
    fields["depth"] = depth
    ev.__dict__.update(fields)
    return ev


# --- contexts -----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class AppCtxPushed(Event):
    """An application context was pushed; Flask's ``appcontext_pushed`` was sent after it."""

    kind: ClassVar[str] = "app_ctx_pushed"
    app: str  # the app's import name


@dataclass(frozen=True, eq=False)
class AppCtxPopped(Event):
    """An application context was popped (after its teardown); ``appcontext_popped`` sent."""

    kind: ClassVar[str] = "app_ctx_popped"
    app: str
    error: str | None  # the error the context was popped with


@dataclass(frozen=True, eq=False)
class RequestCtxPushed(Event):
    """A request context was pushed; ``nested`` when another was already on this thread."""

    kind: ClassVar[str] = "request_ctx_pushed"
    method: str
    path: str
    url: str
    nested: bool
    client_request_id: str | None  # the X-Request-Id header the client sent, if any


@dataclass(frozen=True, eq=False)
class RequestCtxPopped(Event):
    """A request context was popped; teardown ran before when it was its last push."""

    kind: ClassVar[str] = "request_ctx_popped"
    error: str | None


# --- session --------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SessionOpened(Event):
    """The session interface opened the session (or fell back to the null session)."""

    kind: ClassVar[str] = "session_opened"
    interface: str  # qualified class name of the session interface
    null: bool  # True when no session could be opened (no secret key)
    cookie: str | None  # the raw cookie value the client sent
    session: Summary  # contents after opening
    verdict: str  # "new", "valid", "bad_signature", "expired", "null" or "custom"


@dataclass(frozen=True, eq=False)
class SessionSaved(Event):
    """``process_response`` reached the session save step (skipped for a null session)."""

    kind: ClassVar[str] = "session_saved"
    interface: str
    before: Summary  # contents when opened
    after: Summary  # contents when saved
    accessed: bool
    modified: bool
    permanent: bool
    set_cookie: str | None  # the Set-Cookie header written, if any
    deleted: bool  # the cookie was deleted because the session was emptied


# --- dispatch -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class UrlMatched(Event):
    """The URL adapter matched the request; ``error`` holds a stored routing error."""

    kind: ClassVar[str] = "url_matched"
    endpoint: str | None
    rule: str | None
    view_args: Summary
    error: str | None  # e.g. "404 Not Found", raised later at dispatch


@dataclass(frozen=True, eq=False)
class UrlValuePreprocessor(Event):
    """A ``url_value_preprocessor`` function ran (``view_args`` as it left them)."""

    kind: ClassVar[str] = "url_value_preprocessor"
    view_args: Summary
    error: str | None


@dataclass(frozen=True, eq=False)
class RequestStarted(Event):
    """Flask's ``request_started`` signal was sent."""

    kind: ClassVar[str] = "request_started"


@dataclass(frozen=True, eq=False)
class BeforeRequest(Event):
    """A ``before_request`` function ran; a non-None return short-circuits the view."""

    kind: ClassVar[str] = "before_request"
    returned: Summary
    short_circuit: bool
    error: str | None


@dataclass(frozen=True, eq=False)
class View(Event):
    """The view function ran (``error`` set when it raised)."""

    kind: ClassVar[str] = "view"
    endpoint: str | None
    view_args: Summary
    returned: Summary
    error: str | None


@dataclass(frozen=True, eq=False)
class ExceptionRaised(Event):
    """An exception left a hook or the view; ``handled`` says whether a handler took it."""

    kind: ClassVar[str] = "exception"
    error: str  # "Type: message"
    error_type: str  # qualified class name
    http_code: int | None  # for HTTPException
    handled: bool
    handler: str | None  # qualified name of the error handler chosen
    traceback: str | None  # formatted, for non-HTTP errors


@dataclass(frozen=True, eq=False)
class ErrorHandler(Event):
    """An error handler ran for ``error``."""

    kind: ClassVar[str] = "error_handler"
    error: str
    returned: Summary


@dataclass(frozen=True, eq=False)
class GotRequestException(Event):
    """An exception went unhandled; ``got_request_exception`` sent, a 500 follows."""

    kind: ClassVar[str] = "got_request_exception"
    error: str
    propagated: bool  # re-raised to the server (PROPAGATE_EXCEPTIONS)


@dataclass(frozen=True, eq=False)
class AfterThisRequest(Event):
    """A function registered with ``after_this_request`` ran."""

    kind: ClassVar[str] = "after_this_request"
    status: int
    error: str | None


@dataclass(frozen=True, eq=False)
class AfterRequest(Event):
    """An ``after_request`` function ran (``status`` of the response it returned)."""

    kind: ClassVar[str] = "after_request"
    status: int
    error: str | None


@dataclass(frozen=True, eq=False)
class RequestFinished(Event):
    """The response is final; ``request_finished`` sent. The body may not be sent yet."""

    kind: ClassVar[str] = "request_finished"
    status: int
    headers: list[list[str]]

    @classmethod
    def _decode(cls, extras: tuple[Any, ...]) -> Mapping[str, Any]:
        status, pairs = extras  # the headers come as a tuple of (name, value) tuples
        return {"status": status, "headers": [[k, v] for k, v in pairs]}


# --- templates and flashed messages -------------------------------------------------------


@dataclass(frozen=True, eq=False)
class BeforeRenderTemplate(Event):
    """A template is about to render; ``before_render_template`` sent (Flask apps: the engine
    renders no templates). ``context`` is what the view passed and context processors added,
    without Flask's own ``g``, ``request`` and ``session``."""

    kind: ClassVar[str] = "before_render_template"
    template: str | None  # the template's name; None for render_template_string
    context: Summary


@dataclass(frozen=True, eq=False)
class TemplateRendered(Event):
    """A template rendered; ``template_rendered`` sent. Fields as ``before_render_template``."""

    kind: ClassVar[str] = "template_rendered"
    template: str | None
    context: Summary


@dataclass(frozen=True, eq=False)
class MessageFlashed(Event):
    """``flash()`` stored a message for a later request; ``message_flashed`` sent."""

    kind: ClassVar[str] = "message_flashed"
    message: Summary
    category: Summary


# --- teardown -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TeardownRequest(Event):
    """A ``teardown_request`` function ran with the request's error (or None)."""

    kind: ClassVar[str] = "teardown_request"
    error: str | None  # the error passed in
    raised: str | None  # what the function itself raised


@dataclass(frozen=True, eq=False)
class RequestTearingDown(Event):
    """``request_tearing_down`` sent after the teardown_request functions."""

    kind: ClassVar[str] = "request_tearing_down"
    error: str | None


@dataclass(frozen=True, eq=False)
class TeardownAppcontext(Event):
    """A ``teardown_appcontext`` function ran with the error (or None)."""

    kind: ClassVar[str] = "teardown_appcontext"
    error: str | None
    raised: str | None


@dataclass(frozen=True, eq=False)
class AppcontextTearingDown(Event):
    """``appcontext_tearing_down`` sent after the teardown_appcontext functions."""

    kind: ClassVar[str] = "appcontext_tearing_down"
    error: str | None


# --- context-local storage ------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class LocalSet(Event):
    """An attribute of a ``Local`` was set for ``ident`` (``name`` is the attribute)."""

    kind: ClassVar[str] = "local_set"
    local: str  # the Local's label, e.g. "_request_ctx_stack"
    ident: int
    value: Summary

    @classmethod
    def _decode(cls, extras: tuple[Any, ...]) -> Mapping[str, Any]:
        local, ident, value = extras  # a stack's labels come as a tuple: a snapshot
        if type(value) is tuple:
            value = list(value)
        return {"local": local, "ident": ident, "value": value}


@dataclass(frozen=True, eq=False)
class LocalDeleted(Event):
    """An attribute of a ``Local`` was deleted for ``ident``."""

    kind: ClassVar[str] = "local_deleted"
    local: str
    ident: int


@dataclass(frozen=True, eq=False)
class LocalReleased(Event):
    """``ident``'s whole storage in a ``Local`` was dropped; the ident no longer appears."""

    kind: ClassVar[str] = "local_released"
    local: str
    ident: int


# --- breakpoints ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Paused(Event):
    """The thread is held right after event ``at_seq`` until stepped, continued or timed out."""

    kind: ClassVar[str] = "paused"
    at_seq: int
    at_kind: str


@dataclass(frozen=True, eq=False)
class Resumed(Event):
    """A held thread goes on; ``how`` is "step", "continue" or "timeout"."""

    kind: ClassVar[str] = "resumed"
    how: str


# --- WebSocket (RFC 6455) -------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class WsHandshake(Event):
    """A WebSocket opening handshake was answered (RFC 6455 §4.2.2)."""

    kind: ClassVar[str] = "ws_handshake"
    connection_id: int
    path: str
    headers: list[list[str]]  # request headers as received
    key: str | None  # Sec-WebSocket-Key
    accept_input: str | None  # key + GUID, the string that is hashed
    sha1_hex: str | None
    accept: str | None  # base64 of the SHA-1, sent as Sec-WebSocket-Accept
    status: int  # 101, or the refusal's status
    extensions: str | None  # negotiated Sec-WebSocket-Extensions
    subprotocol: str | None
    error: str | None
    response_headers: list[list[str]]  # headers of the answer (101 or the refusal)


@dataclass(frozen=True, eq=False)
class WsFrame(Event):
    """One frame exactly as it crossed the wire, parsed from the raw bytes (RFC 6455 §5.2)."""

    kind: ClassVar[str] = "ws_frame"
    connection_id: int
    direction: str  # "in" (client to server) or "out"
    fin: bool
    rsv1: bool
    rsv2: bool
    rsv3: bool
    opcode: int
    opcode_name: str
    masked: bool
    masking_key: str | None  # hex
    length: int  # payload length
    length_encoding: int  # 7, 16 or 64 bits
    header_hex: str
    payload_wire_preview: str  # hex of the payload as sent (masked when masked)
    payload_preview: str  # unmasked: text, or hex for binary and invalid text
    payload_preview_is_text: bool
    wire_size: int  # header + payload bytes
    inflated_size: int | None  # bytes this frame's payload inflated to, in a compressed message
    error: str | None  # protocol violation found in this frame
    close_code: int | None  # close frames: the status code (1005 when the payload is empty)
    close_reason: str | None  # close frames: the UTF-8 reason

    @classmethod
    def _decode(cls, extras: tuple[Any, ...]) -> Mapping[str, Any]:
        # The frame tap passes its own compact form, named by a string first (this kind's
        # fields in order start with connection_id): the frame's bytes, from which the
        # display fields are derived only when read.
        if type(extras) is tuple and extras and type(extras[0]) is str:
            # Absolute: a relative import resolves its package in Python on every call.
            from engine.ws.tap import frame_fields  # imported already: the tap made it

            return frame_fields(extras)
        return super()._decode(extras)


@dataclass(frozen=True, eq=False)
class WsMessage(Event):
    """A whole data message, reassembled from its frames and inflated."""

    kind: ClassVar[str] = "ws_message"
    connection_id: int
    direction: str
    opcode_name: str  # "text" or "binary"
    length: int
    frames: int
    compressed: bool
    preview: str
    wire_length: int  # payload bytes on the wire over all frames (compressed size)
    preview_is_text: bool
    error: str | None  # e.g. invalid UTF-8 in a text message (RFC 6455 §8.1)

    @classmethod
    def _decode(cls, extras: tuple[Any, ...]) -> Mapping[str, Any]:
        # As WsFrame: the tap's compact form; preview (and inflating) done when read.
        if type(extras) is tuple and extras and type(extras[0]) is str:
            from engine.ws.tap import message_fields

            return message_fields(extras)
        return super()._decode(extras)


@dataclass(frozen=True, eq=False)
class WsClosed(Event):
    """The connection ended (RFC 6455 §7); 1006 when it ended without a close frame."""

    kind: ClassVar[str] = "ws_closed"
    connection_id: int
    code: int
    reason: str
    closed_by: str  # "client", "server" or "network"
    clean: bool


def _register() -> dict[str, type[Event]]:
    types: dict[str, type[Event]] = {}
    for cls in list(globals().values()):
        if isinstance(cls, type) and issubclass(cls, Event) and cls is not Event:
            cls._extra_fields = tuple(
                f.name for f in dataclasses.fields(cls) if f.name not in _COMMON
            )
            types[cls.kind] = cls
    return types


EVENT_TYPES: dict[str, type[Event]] = _register()
"""Every event class by its ``kind``."""


LIFECYCLE_ORDER: tuple[str, ...] = (
    "app_ctx_pushed",
    "request_ctx_pushed",
    "session_opened",
    "url_matched",
    "request_started",
    "url_value_preprocessor",
    "before_request",
    "message_flashed",
    "before_render_template",
    "template_rendered",
    "view",
    "exception",
    "error_handler",
    "got_request_exception",
    "after_this_request",
    "after_request",
    "session_saved",
    "request_finished",
    "teardown_request",
    "request_tearing_down",
    "request_ctx_popped",
    "teardown_appcontext",
    "appcontext_tearing_down",
    "app_ctx_popped",
    "local_set",
    "local_released",
    "local_deleted",
)
"""The kinds a request can produce, in the order Flask 3.1 runs the steps (REFERENCE §2);
the Local writes that accompany pushes and pops come last. Lists of pause points use it."""


def event_from_json(obj: Mapping[str, Any]) -> Event:
    """Rebuild an event from its ``to_json()`` form (captures are read back this way)."""
    cls = EVENT_TYPES[obj["kind"]]
    fields = {key: obj.get(key) for key in cls._extra_fields}
    return make_event(
        cls,
        obj["seq"],
        obj["t_ns"],
        obj["thread"],
        obj["request_id"],
        obj["name"],
        obj["blueprint"],
        obj["depth"],
        fields,
    )
