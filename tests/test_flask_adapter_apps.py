"""Real Flask apps loaded from fixture modules, the way ``--app`` finds them.

The fixture modules live in ``tests/fixtures_flask`` (an app object, a factory, a factory with
arguments, nested blueprints two levels deep, a server-side session interface, and broken
projects); tests load them with the project directory as the working directory, as a user runs
``ctxscope --app`` from their project.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import flask
import pytest

from engine import App
from engine.cli import main as cli_main
from engine.flask_adapter import attach, ensure_observable
from engine.flask_adapter.adapter import FlaskAdapter
from engine.loading import AppLoadError, load_observable_app
from tests.diff_apps import FROZEN, freeze_time

FIXTURES = Path(__file__).parent / "fixtures_flask"


@pytest.fixture
def project(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run from the fixture project directory; forget its modules afterwards."""
    monkeypatch.chdir(FIXTURES)
    before = set(sys.modules)
    yield FIXTURES
    for name in set(sys.modules) - before:
        if name.startswith("ctxfx_"):
            del sys.modules[name]


def _fresh(spec: str) -> FlaskAdapter:
    app = load_observable_app(spec)
    assert isinstance(app, FlaskAdapter)
    return app


# --- finding the app ----------------------------------------------------------------------


def test_finds_an_app_object(project: Path) -> None:
    app = _fresh("ctxfx_object")
    assert isinstance(app.flask_app, flask.Flask)
    assert app.name == "ctxfx_object"
    assert app.locals_reconstructed is True
    assert load_observable_app("ctxfx_object:app") is app  # attached once, found again


def test_finds_a_factory(project: Path) -> None:
    app = _fresh("ctxfx_factory")
    assert app.name == "ctxfx_factory"
    assert app.flask_app.extensions["ctxscope"] is app


def test_calls_a_factory_with_arguments(project: Path) -> None:
    app = _fresh("ctxfx_factory_args:make('staging', secret='k2')")
    assert (app.name, app.config["STAGE"], app.secret_key) == ("ctxfx_staging", "staging", "k2")


def test_ensure_observable_passes_engine_apps_and_adapters_through() -> None:
    engine_app = App("plain")
    assert ensure_observable(engine_app) is engine_app
    adapter = attach(flask.Flask("twice"))
    assert ensure_observable(adapter) is adapter
    assert ensure_observable(adapter.flask_app) is adapter
    with pytest.raises(TypeError):
        ensure_observable(object())


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "ctxfx_broken_import",
            "importing 'ctxfx_broken_import' failed: ModuleNotFoundError: No module named "
            "'ctxfx_dependency_that_is_not_installed'",
        ),
        (
            "ctxfx_factory_raises",
            "ctxfx_factory_raises:create_app() raised KeyError: 'DATABASE_URL'",
        ),
        ("ctxfx_no_app", "no app in module 'ctxfx_no_app': tried 'app', 'application'"),
        ("ctxfx_not_there", "could not import 'ctxfx_not_there'"),
        ("ctxfx_object:nope", "module 'ctxfx_object' has no attribute 'nope'"),
    ],
)
def test_load_errors_are_one_clear_line(
    project: Path, capsys: pytest.CaptureFixture[str], spec: str, message: str
) -> None:
    with pytest.raises(AppLoadError) as info:
        load_observable_app(spec)
    assert message in str(info.value)
    assert cli_main(["trace", "--app", spec, "GET", "/"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


# --- the lifecycle of the fixture app -------------------------------------------------------


def _events(app: FlaskAdapter, path: str, **kwargs: Any) -> tuple[Any, list[Any], list[Any]]:
    record: list[tuple[str, str]] = []
    app.config["CTXFX_RECORD"] = record
    events: list[Any] = []
    with app.subscribe(events.append):
        response = app.test_client().get(path, **kwargs)
    del app.config["CTXFX_RECORD"]
    return response, events, record


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


@pytest.mark.parametrize(
    "path",
    [
        "/parent/child/en/item/3",
        "/parent/child/en/item/3?stop=parent2",
        "/parent/child/en/key",
        "/boom",
        "/crash",
        "/missing",
        "/nope",
        "/later",
    ],
)
def test_hooks_of_nested_blueprints_in_flasks_order(project: Path, path: str) -> None:
    app = _fresh("ctxfx_factory")
    response, events, record = _events(app, path)
    hook_kinds = {kind for kind, _name in record}
    seen = [(e.kind, _short(e.name)) for e in events if e.kind in hook_kinds]
    assert seen == record
    assert response.status_code in (200, 400, 404, 418, 500)


def test_blueprint_names_and_values(project: Path) -> None:
    app = _fresh("ctxfx_factory")
    response, events, _ = _events(app, "/parent/child/en/item/3")
    assert response.get_json() == {"lang": "en", "n": 3}
    by_kind = {e.kind: e for e in events}
    assert by_kind["url_matched"].rule == "/parent/child/<lang>/item/<int:n>"
    assert by_kind["url_matched"].endpoint == "parent.child.item"
    view = by_kind["view"]
    assert (view.blueprint, view.endpoint, view.view_args) == (
        "parent.child",
        "parent.child.item",
        {"n": 3},
    )
    blueprints = [e.blueprint for e in events if e.kind == "before_request"]
    assert blueprints == [None, None, "parent", "parent", "parent.child", "parent.child"]


def test_a_raising_view_is_an_event_and_a_500(project: Path) -> None:
    app = _fresh("ctxfx_factory")
    response, events, _ = _events(app, "/crash")
    assert response.status_code == 500
    kinds = [e.kind for e in events]
    assert kinds.index("view") < kinds.index("exception") < kinds.index("got_request_exception")
    exc = events[kinds.index("exception")]
    assert (exc.handled, exc.error) == (False, "RuntimeError: unhandled crash")
    assert "RuntimeError" in exc.traceback
    got = events[kinds.index("got_request_exception")]
    assert got.propagated is False
    finished = events[kinds.index("request_finished")]
    assert finished.status == 500
    assert kinds[-1] == "app_ctx_popped" and events[-1].depth == {"app": 0, "request": 0}
    # The app goes on serving.
    assert app.test_client().get("/").status_code == 200


def test_handled_error_names_its_handler(project: Path) -> None:
    app = _fresh("ctxfx_factory")
    response, events, _ = _events(app, "/parent/child/en/key")
    assert response.status_code == 400
    exc = next(e for e in events if e.kind == "exception")
    assert exc.handled and exc.handler.endswith("child_key_error")
    handler = next(e for e in events if e.kind == "error_handler")
    assert (handler.blueprint, handler.returned) == ("parent.child", ["child key error", 400])


def test_trace_command_on_a_flask_factory(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["trace", "--app", "ctxfx_factory", "GET", "/crash"]) == 0
    out, err = capsys.readouterr()
    assert err == ""  # the view's error is an event, not a traceback on the terminal
    assert out.startswith("GET /crash -> 500 INTERNAL SERVER ERROR")
    assert "got_request_exception" in out and "app_ctx_popped" in out


def test_byte_identical_responses_with_and_without_attaching(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    freeze_time(monkeypatch)
    module = importlib.import_module("ctxfx_factory")
    plain = module.create_app().test_client()
    observed_app = attach(module.create_app())
    kept: list[Any] = []
    observed_app.subscribe(kept.append)
    observed = observed_app.test_client()
    steps = [
        ("GET", "/", {}),
        ("GET", "/login/ada", {}),
        ("GET", "/", {}),
        ("GET", "/permanent", {}),
        ("GET", "/later", {}),
        ("GET", "/boom", {}),
        ("GET", "/crash", {}),
        ("GET", "/missing", {}),
        ("GET", "/nope", {}),
        ("GET", "/stream", {}),
        ("POST", "/json", {"json": {"a": [1, 2]}}),
        ("GET", "/parent/?stop=parent1", {}),
        ("GET", "/parent/child/de/item/7", {}),
        ("GET", "/logout", {}),
        ("GET", "/", {}),
    ]
    for method, path, kwargs in steps:
        a = plain.open(path, method=method, **kwargs)
        b = observed.open(path, method=method, **kwargs)
        assert (b.status, b.headers.to_wsgi_list(), b.get_data()) == (
            a.status,
            a.headers.to_wsgi_list(),
            a.get_data(),
        ), f"{method} {path}"
        assert sorted((c.key, c.value) for c in observed._cookies.values()) == sorted(
            (c.key, c.value) for c in plain._cookies.values()
        )
    assert len({e.request_id for e in kept}) == len(steps)


# --- sessions ------------------------------------------------------------------------------


def test_server_side_session_is_shown_as_custom(project: Path) -> None:
    app = _fresh("ctxfx_serverside")
    assert not app.signed_cookie_sessions
    assert type(app.session_interface).__name__ == "ServerSideSessionInterface"
    assert isinstance(app.flask_app.session_interface, flask.sessions.SessionInterface)
    client = app.test_client()
    events: list[Any] = []
    with app.subscribe(events.append):
        assert client.get("/set/blue").data == b"set"
        assert client.get("/get").data == b"blue"
    opened = [e for e in events if e.kind == "session_opened"]
    saved = [e for e in events if e.kind == "session_saved"]
    assert [e.interface for e in opened] == ["ServerSideSessionInterface"] * 2
    assert [e.verdict for e in opened] == ["custom", "custom"]
    sid = saved[0].set_cookie.split(";")[0].split("=", 1)[1]
    assert len(sid) == 16 and opened[1].cookie == sid  # an opaque id, not a signed payload
    assert saved[0].after == {"value": "blue"} and opened[1].session == {"value": "blue"}


def test_signed_cookie_verdicts(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = _fresh("ctxfx_factory")
    assert app.signed_cookie_sessions
    serializer = app.session_interface.get_signing_serializer(app.flask_app)
    old = flask.Flask("old")
    old.config.update(SECRET_KEY="old-fixture-secret")
    old_serializer = app.session_interface.get_signing_serializer(old)

    def verdict(cookie: str | None) -> tuple[str, Any]:
        client = app.test_client()
        if cookie is not None:
            client.set_cookie("session", cookie)
        events: list[Any] = []
        with app.subscribe(events.append):
            client.get("/")
        opened = next(e for e in events if e.kind == "session_opened")
        return opened.verdict, opened.session

    freeze_time(monkeypatch)
    current = serializer.dumps({"user": "ada"})
    assert verdict(None) == ("new", {})
    assert verdict(current) == ("valid", {"user": "ada"})
    # SECRET_KEY_FALLBACKS is a Flask 3.1 setting: 3.0 rejects the old key, and says so.
    if "SECRET_KEY_FALLBACKS" in flask.Flask.default_config:
        assert verdict(old_serializer.dumps({"user": "old"})) == ("valid", {"user": "old"})
    else:
        assert verdict(old_serializer.dumps({"user": "old"})) == ("bad_signature", {})
    assert verdict(current[:-3] + "abc") == ("bad_signature", {})
    import itsdangerous.timed

    later = FROZEN + 32 * 24 * 3600  # past PERMANENT_SESSION_LIFETIME (31 days)
    monkeypatch.setattr(itsdangerous.timed, "time", type("T", (), {"time": lambda: later}))
    assert verdict(current) == ("expired", {})


def test_no_secret_key_gives_a_null_session() -> None:
    plain = flask.Flask("nullsession")

    @plain.route("/")
    def index() -> str:
        return "ok"

    app = attach(plain)
    events: list[Any] = []
    with app.subscribe(events.append):
        assert app.test_client().get("/").data == b"ok"
    opened = next(e for e in events if e.kind == "session_opened")
    assert (opened.null, opened.verdict) == (True, "null")
    assert "session_saved" not in [e.kind for e in events]


def test_session_saved_accessed_is_what_decided_vary() -> None:
    # Flask 3.0's save_session reads ``session.permanent`` after choosing Vary: Cookie, and that
    # ``get`` marks the session accessed: the event must report the request's own access.
    plain = flask.Flask("accessed")
    plain.secret_key = "k"

    @plain.route("/login")
    def login() -> str:
        flask.session["user"] = "ada"
        return "in"

    @plain.route("/untouched")
    def untouched() -> str:
        return "ok"

    @plain.route("/read")
    def read() -> str:
        return str(flask.session.get("user"))

    app = attach(plain)
    client = app.test_client()
    client.get("/login")
    for path, accessed in (("/untouched", False), ("/read", True)):
        events: list[Any] = []
        with app.subscribe(events.append):
            response = client.get(path)
        saved = next(e for e in events if e.kind == "session_saved")
        assert saved.set_cookie is None
        assert saved.accessed is accessed
        assert ("Cookie" in response.headers.get("Vary", "")) is accessed


def test_a_session_whose_accessed_raises_never_breaks_the_request() -> None:
    # A custom interface that never reads ``accessed`` serves fine in plain Flask; reading it
    # for the event must not change that.
    class Touchy(dict):  # type: ignore[type-arg]
        modified = False

        @property
        def accessed(self) -> bool:
            raise RuntimeError("no accessed here")

    class Interface(flask.sessions.SessionInterface):
        def open_session(self, app: Any, request: Any) -> Touchy:
            return Touchy(user="ada")

        def save_session(self, app: Any, session: Any, response: Any) -> None:
            response.headers["X-Saved"] = session["user"]

    def build() -> flask.Flask:
        app = flask.Flask("touchy")
        app.session_interface = Interface()

        @app.route("/")
        def index() -> str:
            return flask.session["user"]

        return app

    plain = build().test_client().get("/")
    adapter = attach(build())
    events: list[Any] = []
    adapter.subscribe(events.append)
    observed = adapter.test_client().get("/")
    assert (observed.status, observed.headers.to_wsgi_list(), observed.data) == (
        plain.status,
        plain.headers.to_wsgi_list(),
        plain.data,
    )
    saved = next(e for e in events if e.kind == "session_saved")
    assert saved.accessed is False and saved.after == {"user": "ada"}
