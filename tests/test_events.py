"""The event stream: kinds in Flask's order, common fields, depth, subscribers, JSON."""

from __future__ import annotations

import copy
import itertools
import json
import logging
import pickle
import threading
from typing import Any

import pytest
from diff_apps import ENGINE, REFERENCE_ORDER, build, call, disconnect

from engine import App, Blueprint, after_this_request, session
from engine.events import EVENT_TYPES, Event, event_from_json

COMMON_KEYS = ["seq", "t_ns", "thread", "request_id", "kind", "name", "blueprint", "depth"]

# A plain request: (kind, local label for local_* events, depth after the step).
PLAIN = [
    ("local_set", "_app_ctx_stack", (1, 0)),
    ("app_ctx_pushed", None, (1, 0)),
    ("local_set", "_request_ctx_stack", (1, 1)),
    ("request_ctx_pushed", None, (1, 1)),
    ("session_opened", None, (1, 1)),
    ("url_matched", None, (1, 1)),
    ("request_started", None, (1, 1)),
    ("url_value_preprocessor", None, (1, 1)),
    ("before_request", None, (1, 1)),
    ("view", None, (1, 1)),
    ("after_this_request", None, (1, 1)),
    ("after_request", None, (1, 1)),
    ("session_saved", None, (1, 1)),
    ("request_finished", None, (1, 1)),
    ("teardown_request", None, (1, 1)),
    ("request_tearing_down", None, (1, 1)),
    ("local_released", "_request_ctx_stack", (1, 0)),
    ("request_ctx_popped", None, (1, 0)),
    ("teardown_appcontext", None, (1, 0)),
    ("appcontext_tearing_down", None, (1, 0)),
    ("local_released", "_app_ctx_stack", (0, 0)),
    ("app_ctx_popped", None, (0, 0)),
]


def _plain_app() -> App:
    app = App("events_app")
    app.secret_key = "k"

    @app.url_value_preprocessor
    def uvp(endpoint: str | None, values: dict[str, Any] | None) -> None:
        pass

    @app.before_request
    def before() -> None:
        pass

    @app.after_request
    def after(response: Any) -> Any:
        return response

    @app.teardown_request
    def down(exc: BaseException | None) -> None:
        pass

    @app.teardown_appcontext
    def down_app(exc: BaseException | None) -> None:
        pass

    @app.route("/<name>")
    def hello(name: str) -> str:
        session["name"] = name
        after_this_request(lambda r: r)
        return f"hello {name}"

    return app


def _record(app: App) -> list[Event]:
    events: list[Event] = []
    app.subscribe(events.append)
    return events


def test_plain_request_sequence_and_depth() -> None:
    app = _plain_app()
    events = _record(app)
    response = app.test_client().get("/ann")
    assert response.data == b"hello ann"
    got = [
        (e.kind, getattr(e, "local", None), (e.depth["app"], e.depth["request"])) for e in events
    ]
    assert got == PLAIN


def test_common_fields() -> None:
    app = _plain_app()
    events = _record(app)
    app.test_client().get("/bob")
    first_seq = events[0].seq
    assert [e.seq for e in events] == list(range(first_seq, first_seq + len(events)))
    assert all(a.t_ns <= b.t_ns for a, b in itertools.pairwise(events))
    assert {e.thread for e in events} == {threading.get_ident()}
    request_ids = {e.request_id for e in events}
    assert len(request_ids) == 1 and isinstance(request_ids.pop(), int)
    by_kind = {e.kind: e for e in events}
    assert by_kind["view"].name == "_plain_app.<locals>.hello"
    assert by_kind["view"].endpoint == "hello"
    assert by_kind["view"].view_args == {"name": "bob"}
    assert by_kind["view"].returned == "hello bob"
    assert by_kind["before_request"].name == "_plain_app.<locals>.before"
    assert by_kind["before_request"].blueprint is None
    assert by_kind["url_matched"].endpoint == "hello"
    assert by_kind["url_matched"].rule == "/<name>"
    assert by_kind["request_ctx_pushed"].method == "GET"
    assert by_kind["request_ctx_pushed"].path == "/bob"
    assert by_kind["request_ctx_pushed"].nested is False
    assert by_kind["session_opened"].verdict == "new"
    assert by_kind["session_saved"].after == {"name": "bob"}
    assert by_kind["session_saved"].set_cookie.startswith("session=")
    assert by_kind["request_finished"].status == 200
    # A second request: a new request id, sequence numbers go on.
    more = len(events)
    app.test_client().get("/cy")
    assert events[more].seq == events[more - 1].seq + 1
    assert events[more].request_id != events[0].request_id


def test_json_keys_and_round_trip() -> None:
    log: list[str] = []
    app = build(ENGINE, log)
    events = _record(app)
    try:
        for path in (
            "/parent/child/fr/page",
            "/boom",
            "/leaf",
            "/session/set?a=1",
            "/no/such",
            "/parent/child/abort/409",
            "/nested",
        ):
            call(app, "GET", path)
    finally:
        disconnect(app)
    kinds = {e.kind for e in events}
    assert {"exception", "error_handler", "got_request_exception", "session_saved"} <= kinds
    for event in events:
        data = event.to_json()
        cls = type(event)
        assert list(data) == COMMON_KEYS + list(cls._extra_fields)
        assert data["kind"] == cls.kind and EVENT_TYPES[cls.kind] is cls
        text = json.dumps(data)  # JSON-friendly all the way down
        back = event_from_json(json.loads(text))
        assert type(back) is cls
        assert back.to_json() == json.loads(text)


def test_every_event_type_round_trips() -> None:
    for kind, cls in EVENT_TYPES.items():
        obj = {key: None for key in COMMON_KEYS}
        obj.update(seq=1, t_ns=2, thread=3, kind=kind, depth={"app": 0, "request": 0})
        obj.update({key: f"v-{key}" for key in cls._extra_fields})
        back = event_from_json(obj)
        assert back.kind == kind
        assert back.to_json() == obj
        with pytest.raises(AttributeError):
            back.seq = 5  # type: ignore[misc]  # frozen for everyone else


def _mapped(events: list[Event]) -> list[str]:
    """Events written the way REFERENCE §2 (and the differential log) names the steps."""
    signal_kinds = {
        "app_ctx_pushed": "signal appcontext_pushed",
        "session_opened": "open_session",
        "request_started": "signal request_started",
        "session_saved": "save_session",
        "request_finished": "signal request_finished 200",
        "request_tearing_down": "signal request_tearing_down None",
        "appcontext_tearing_down": "signal appcontext_tearing_down None",
        "app_ctx_popped": "signal appcontext_popped",
        "after_this_request": "after_this_request 200",
    }
    level = {None: "app", "parent": "parent", "parent.child": "child"}
    out: list[str] = []
    counters: dict[tuple[str, str], int] = {}
    for e in events:
        if e.kind in signal_kinds:
            out.append(signal_kinds[e.kind])
        elif e.kind in (
            "url_value_preprocessor",
            "before_request",
            "after_request",
            "teardown_request",
            "teardown_appcontext",
        ):
            key = (e.kind, level[e.blueprint])
            counters[key] = counters.get(key, 0) + 1
            n = counters[key]
            if e.kind in ("after_request", "teardown_request", "teardown_appcontext"):
                n = 3 - n  # these run in reverse registration order
            suffix = {
                "after_request": " 200",
                "teardown_request": " None",
                "teardown_appcontext": " None",
            }.get(e.kind, "")
            out.append(f"{e.kind} {level[e.blueprint]}#{n}{suffix}")
        elif e.kind == "view":
            out.append("view page fr")
    return out


def test_nested_blueprint_request_matches_reference_order() -> None:
    log: list[str] = []
    app = build(ENGINE, log)
    events = _record(app)
    try:
        call(app, "GET", "/parent/child/fr/page")
    finally:
        disconnect(app)
    assert _mapped(events) == REFERENCE_ORDER
    # The hooks' own log agrees with the events, one to one.
    assert log == REFERENCE_ORDER
    hooks = [e for e in events if e.kind == "before_request"]
    assert [e.blueprint for e in hooks] == [
        None,
        None,
        "parent",
        "parent",
        "parent.child",
        "parent.child",
    ]


def test_short_circuit_and_error_events() -> None:
    app = App("errs")
    bp = Blueprint("bp", __name__)

    @bp.before_request
    def stop() -> Any:
        return "stopped", 403

    @bp.route("/x")
    def x() -> str:
        return "never"

    @app.route("/fail")
    def fail() -> str:
        raise LookupError("lost")

    @app.errorhandler(LookupError)
    def lost(e: LookupError) -> tuple[str, int]:
        return "handled", 404

    app.register_blueprint(bp, url_prefix="/bp")
    events = _record(app)
    assert app.test_client().get("/bp/x").status_code == 403
    before = next(e for e in events if e.kind == "before_request")
    assert before.short_circuit is True and before.returned == ["stopped", 403]
    assert before.blueprint == "bp"
    assert "view" not in [e.kind for e in events]
    events.clear()
    assert app.test_client().get("/fail").status_code == 404
    kinds = [e.kind for e in events]
    i = kinds.index("view")
    assert kinds[i : i + 3] == ["view", "exception", "error_handler"]
    view, exc, handler = events[i : i + 3]
    assert view.error == "LookupError: lost"
    assert exc.handled is True and exc.handler.endswith("lost")
    assert exc.error_type == "builtins.LookupError" and "LookupError" in exc.traceback
    assert handler.returned == ["handled", 404]
    assert "got_request_exception" not in kinds
    events.clear()
    assert app.test_client().get("/nowhere").status_code == 404
    matched = next(e for e in events if e.kind == "url_matched")
    assert matched.error == "404 Not Found" and matched.endpoint is None


def test_failing_subscriber_never_breaks_a_request(caplog: pytest.LogCaptureFixture) -> None:
    app = _plain_app()

    def broken(event: Event) -> None:
        raise ValueError("subscriber bug")

    app.subscribe(broken)
    good = _record(app)
    with caplog.at_level(logging.ERROR, logger="ctxscope"):
        for _ in range(3):
            assert app.test_client().get("/x").data == b"hello x"
    assert [e.kind for e in good].count("view") == 3  # later subscribers still get everything
    reports = [r for r in caplog.records if "subscriber" in r.getMessage()]
    assert len(reports) == 1  # reported once, not once per event
    assert reports[0].exc_info is not None and "subscriber bug" in str(reports[0].exc_info[1])


def test_unsubscribe() -> None:
    app = _plain_app()
    assert app.events.active is False
    events: list[Event] = []
    sub = app.subscribe(events.append)
    assert app.events.active is True
    app.test_client().get("/a")
    count = len(events)
    assert count == len(PLAIN)
    sub.unsubscribe()
    assert app.events.active is False
    app.test_client().get("/b")
    assert len(events) == count
    with app.subscribe(events.append):
        app.test_client().get("/c")
    app.test_client().get("/d")
    assert len(events) == 2 * count
    sub.unsubscribe()  # twice is harmless


def test_a_kept_emit_reaches_later_subscribers_and_breakpoints() -> None:
    """Instrumentation may keep ``bus.emit`` (the Flask adapter does): it must see who
    subscribes, unsubscribes or arms a pause point after it was taken."""
    app = _plain_app()
    emit = app.events.emit
    events: list[Event] = []
    sub = app.subscribe(events.append)
    assert app.events.emit is emit
    emit(EVENT_TYPES["request_started"], 7, None, None, ())
    assert [(e.kind, e.request_id) for e in events] == [("request_started", 7)]
    sub.unsubscribe()
    emit(EVENT_TYPES["request_started"], 8, None, None, ())
    assert len(events) == 1
    app.events.breakpoints.set_kinds(["view"])
    held = threading.Thread(target=lambda: app.test_client().get("/x"))
    held.start()
    try:
        for _ in range(400):
            if app.events.breakpoints.paused():
                break
            threading.Event().wait(0.01)
        assert [p.event.kind for p in app.events.breakpoints.paused()] == ["view"]
    finally:
        app.events.breakpoints.clear()
        held.join(5)
    assert not held.is_alive()


def test_events_copy_and_pickle_with_their_fields() -> None:
    app = _plain_app()
    events = _record(app)
    app.test_client().get("/x")
    view = next(e for e in events if e.kind == "view")
    for clone in (copy.copy(view), copy.deepcopy(view), pickle.loads(pickle.dumps(view))):
        assert type(clone) is type(view) and clone is not view
        assert clone.to_json() == view.to_json()
        assert clone.name == "_plain_app.<locals>.hello"


def test_an_event_built_whole_reads_like_a_reported_one() -> None:
    """Events made through the dataclass constructor (tools, tests) need no filling in."""
    cls = EVENT_TYPES["after_request"]
    event = cls(
        seq=1,
        t_ns=2,
        thread=3,
        request_id=4,
        name="after",
        blueprint=None,
        depth={"app": 1, "request": 1},
        status=200,
        error=None,
    )
    assert event.status == 200 and event.as_dict()["name"] == "after"
    assert event.to_json()["kind"] == "after_request"
    with pytest.raises(AttributeError):
        event.no_such_field  # noqa: B018


def test_events_go_to_the_app_whose_context_it_is() -> None:
    one, two = _plain_app(), App("two")

    @two.route("/")
    def index() -> str:
        with one.test_request_context("/inner"):
            pass
        return "two"

    ev_one, ev_two = _record(one), _record(two)
    two.test_client().get("/")
    # The nested context of app one reports to app one, with its own request id.
    assert ev_one and {e.request_id for e in ev_one}.isdisjoint({e.request_id for e in ev_two})
    assert ev_one[0].kind == "local_set" and ev_one[0].depth == {"app": 2, "request": 1}


def test_stream_with_context_events_follow_flask_313() -> None:
    from engine import Response, request, stream_with_context

    app = App("stream_events")
    events = _record(app)
    chunks_at: list[int] = []

    @app.route("/s")
    def s() -> Response:
        def gen() -> Any:
            chunks_at.append(len(events))  # how many events had happened at the first chunk
            yield request.path

        return Response(stream_with_context(gen()))

    assert app.test_client().get("/s").data == b"/s"
    kinds = [e.kind for e in events]
    assert {e.request_id for e in events} == {events[0].request_id}
    first_pop = kinds.index("app_ctx_popped")
    # Popped (with teardown) when wsgi_app returned, pushed again for the body, popped again.
    assert kinds[first_pop + 1 : first_pop + 6] == [
        "local_set",
        "app_ctx_pushed",
        "local_set",
        "request_ctx_pushed",
        "url_matched",  # the URL is matched again; the session is not reopened
    ]
    assert chunks_at == [first_pop + 6]
    assert kinds.count("session_opened") == 1
    assert kinds.count("request_tearing_down") == 2
    assert kinds[-1] == "app_ctx_popped" and events[-1].depth == {"app": 0, "request": 0}
