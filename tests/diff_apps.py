"""One app, built twice: on real Flask 3.1 and on the engine, for differential tests.

``build(fw, log)`` takes a framework namespace (``FLASK`` or ``ENGINE``) and returns an app whose
hooks, signals and session interface append what they see to ``log``; the same requests sent
to both apps must give the same responses and the same ``log``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import flask
import flask.sessions
from werkzeug.exceptions import HTTPException
from werkzeug.test import Client

import engine
import engine.sessions

__all__ = ["ENGINE", "FLASK", "FROZEN", "REFERENCE_ORDER", "SIGNALS", "AppError", "build", "call"]

FROZEN = 1_795_284_853  # the timestamp both sides sign with (REFERENCE §3 worked example)

SIGNALS = (
    "request_started",
    "request_finished",
    "request_tearing_down",
    "got_request_exception",
    "appcontext_pushed",
    "appcontext_popped",
    "appcontext_tearing_down",
)


def _framework(mod: Any, app_class: Any, signals: Any, sessions: Any) -> SimpleNamespace:
    return SimpleNamespace(
        name=mod.__name__,
        Flask=app_class,
        Blueprint=mod.Blueprint,
        Response=mod.Response,
        request=mod.request,
        session=mod.session,
        g=mod.g,
        abort=mod.abort,
        redirect=mod.redirect,
        jsonify=mod.jsonify,
        make_response=mod.make_response,
        url_for=mod.url_for,
        after_this_request=mod.after_this_request,
        stream_with_context=mod.stream_with_context,
        signals=signals,
        sessions=sessions,
    )


FLASK = _framework(flask, flask.Flask, flask.signals, flask.sessions)
ENGINE = _framework(engine, engine.App, engine.signals, engine.sessions)


# REFERENCE §2 "observed order", written out for two hooks per level, as ``build``'s log
# names the steps for GET /parent/child/fr/page.
REFERENCE_ORDER = [
    "signal appcontext_pushed",
    "open_session",
    "signal request_started",
    "url_value_preprocessor app#1",
    "url_value_preprocessor app#2",
    "url_value_preprocessor parent#1",
    "url_value_preprocessor parent#2",
    "url_value_preprocessor child#1",
    "url_value_preprocessor child#2",
    "before_request app#1",
    "before_request app#2",
    "before_request parent#1",
    "before_request parent#2",
    "before_request child#1",
    "before_request child#2",
    "view page fr",
    "after_this_request 200",
    "after_request child#2 200",
    "after_request child#1 200",
    "after_request parent#2 200",
    "after_request parent#1 200",
    "after_request app#2 200",
    "after_request app#1 200",
    "save_session",
    "signal request_finished 200",
    "teardown_request child#2 None",
    "teardown_request child#1 None",
    "teardown_request parent#2 None",
    "teardown_request parent#1 None",
    "teardown_request app#2 None",
    "teardown_request app#1 None",
    "signal request_tearing_down None",
    "teardown_appcontext app#2 None",
    "teardown_appcontext app#1 None",
    "signal appcontext_tearing_down None",
    "signal appcontext_popped",
]


class AppError(Exception):
    """Handled by the app."""


class MidError(AppError):
    """Handled by the parent blueprint (a subclass of AppError: MRO and blueprint-first)."""


class LeafError(MidError):
    """No handler of its own: found through the MRO."""


class FrozenDatetime(datetime):
    """``datetime.now`` fixed to ``FROZEN``, so permanent cookies' Expires match too."""

    @classmethod
    def now(cls, tz: Any = None) -> FrozenDatetime:  # type: ignore[override]
        return cls.fromtimestamp(FROZEN, tz or UTC)


def freeze_time(monkeypatch: Any) -> None:
    """Both sides sign with the same timestamp and compute the same expiry dates."""
    import itsdangerous.timed

    monkeypatch.setattr(itsdangerous.timed, "time", SimpleNamespace(time=lambda: FROZEN))
    monkeypatch.setattr(flask.sessions, "datetime", FrozenDatetime)
    monkeypatch.setattr(engine.sessions, "datetime", FrozenDatetime)


def _session_interface(fw: SimpleNamespace, log: list[str]) -> Any:
    base = fw.sessions.SecureCookieSessionInterface

    class Logged(base):  # type: ignore[misc, valid-type]
        def open_session(self, app: Any, request: Any) -> Any:
            log.append("open_session")
            return super().open_session(app, request)

        def save_session(self, app: Any, session: Any, response: Any) -> None:
            log.append("save_session")
            super().save_session(app, session, response)

    return Logged()


def build(
    fw: SimpleNamespace,
    log: list[str],
    *,
    handler_500: bool = True,
    secret_key: str = "new-key",
    fallbacks: list[str] | None = None,
    config: dict[str, Any] | None = None,
) -> Any:
    """The differential app; ``log`` receives every hook, signal and session step."""
    app = fw.Flask("diffapp")
    app.config["SECRET_KEY"] = secret_key
    app.config["SECRET_KEY_FALLBACKS"] = fallbacks or []
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.config.update(config or {})
    app.session_interface = _session_interface(fw, log)
    app.logger.disabled = True  # the unhandled-error log is expected noise here
    request, session, g = fw.request, fw.session, fw.g

    parent = fw.Blueprint("parent", "diffapp", url_prefix="/parent")
    child = fw.Blueprint("child", "diffapp", url_prefix="/child")

    def hooks(target: Any, level: str) -> None:
        for n in (1, 2):
            tag = f"{level}#{n}"

            def uvp(endpoint: str | None, values: dict[str, Any] | None, tag: str = tag) -> None:
                log.append(f"url_value_preprocessor {tag}")
                if tag == "child#1" and values is not None and "lang" in values:
                    g.lang = values.pop("lang")

            def before(tag: str = tag) -> Any:
                log.append(f"before_request {tag}")
                if request.args.get("short") == tag:
                    return f"short-circuited by {tag}", 299
                if request.args.get("raise") == tag:
                    raise MidError(f"before_request {tag}")
                return None

            def after(response: Any, tag: str = tag) -> Any:
                log.append(f"after_request {tag} {response.status_code}")
                if request.args.get("after_raise") == tag:
                    raise ValueError(f"after_request {tag}")
                response.headers.add("X-After", tag)
                return response

            def teardown(exc: BaseException | None, tag: str = tag) -> None:
                log.append(f"teardown_request {tag} {exc!r}")

            target.url_value_preprocessor(uvp)
            target.before_request(before)
            target.after_request(after)
            target.teardown_request(teardown)
            if level == "app":

                def teardown_app(exc: BaseException | None, tag: str = tag) -> None:
                    log.append(f"teardown_appcontext {tag} {exc!r}")

                app.teardown_appcontext(teardown_app)

    hooks(app, "app")
    hooks(parent, "parent")
    hooks(child, "child")

    # --- error handlers: by code and by class, blueprint before app, code before class ------

    @app.errorhandler(404)
    def app_404(e: HTTPException) -> Any:
        log.append(f"errorhandler app 404 {type(e).__name__}")
        return f"app 404: {e.description}", 404

    @app.errorhandler(410)
    def app_410(e: HTTPException) -> Any:
        log.append("errorhandler app 410")
        return "app 410", 410

    @app.errorhandler(HTTPException)
    def app_http(e: HTTPException) -> Any:
        log.append(f"errorhandler app HTTPException {e.code}")
        if e.code == 405:
            return e  # an HTTPException is a WSGI app: its own response, with Allow
        return f"app http {e.code}", e.code

    @app.errorhandler(AppError)
    def app_error(e: AppError) -> Any:
        log.append(f"errorhandler app AppError {type(e).__name__}")
        return f"app handled {type(e).__name__}: {e}", 418

    if handler_500:

        @app.errorhandler(500)
        def app_500(e: HTTPException) -> Any:
            original = getattr(e, "original_exception", None)
            log.append(f"errorhandler app 500 {original!r}")
            return f"custom 500 for {original!r}", 500

    @parent.errorhandler(MidError)
    def parent_mid(e: MidError) -> Any:
        log.append(f"errorhandler parent MidError {type(e).__name__}")
        return f"parent handled {type(e).__name__}", 419

    @parent.errorhandler(HTTPException)
    def parent_http(e: HTTPException) -> Any:
        log.append(f"errorhandler parent HTTPException {e.code}")
        return f"parent http {e.code}", e.code

    @child.errorhandler(404)
    def child_404(e: HTTPException) -> Any:
        log.append("errorhandler child 404")
        return "child 404", 404

    # --- views ------------------------------------------------------------------------------

    @app.route("/")
    def index() -> Any:
        log.append("view index")
        return "index"

    @app.route("/leaf")
    def leaf() -> Any:
        log.append("view leaf")
        raise LeafError("from app")

    @app.route("/boom")
    def boom() -> Any:
        log.append("view boom")
        raise ValueError("boom")

    @app.route("/none")
    def returns_none() -> Any:
        log.append("view none")
        return None

    @app.route("/abort/<int:code>")
    def do_abort(code: int) -> Any:
        log.append(f"view abort {code}")
        fw.abort(code)

    @app.route("/once")
    def once() -> Any:
        log.append("view once")

        @fw.after_this_request
        def add_header(response: Any) -> Any:
            log.append(f"after_this_request {response.status_code}")
            response.headers["X-Once"] = "yes"
            return response

        return "once"

    @app.route("/stream")
    def stream() -> Any:
        log.append("view stream")

        @fw.stream_with_context
        def generate() -> Any:
            for i in range(3):
                log.append(f"stream chunk {i} {request.path}")
                yield f"{i}:{request.args.get('x', '')};"

        return generate()

    @app.route("/nested")
    def nested() -> Any:
        log.append("view nested")
        with app.test_request_context("/inner?x=1"):
            log.append(f"nested sees {request.path}")
        return f"outer sees {request.path}"

    @app.route("/abort-response")
    def abort_response() -> Any:
        log.append("view abort_response")
        fw.abort(fw.Response("custom abort", 401, {"WWW-Authenticate": "Basic"}))

    @app.route("/post-only", methods=["POST"])
    def post_only() -> Any:
        log.append("view post_only")
        return {"form": dict(request.form)}

    @app.route("/multi", methods=["GET", "PUT", "DELETE"])
    def multi() -> Any:
        log.append(f"view multi {request.method}")
        return request.method

    @app.route("/slash/")
    def slash() -> Any:
        log.append("view slash")
        return "slash"

    returns: dict[str, Callable[[], Any]] = {
        "str": lambda: "héllo",
        "bytes": lambda: b"\x00raw",
        "dict": lambda: {"b": [1, 2], "a": "é", "n": None},
        "list": lambda: [3, "two", {"one": 1}],
        "tuple3": lambda: ("created", 201, {"X-Custom": "c", "Content-Type": "text/plain"}),
        "tuple2_status": lambda: ("accepted", "202 ACCEPTED"),
        "tuple2_headers": lambda: ("with headers", [("X-A", "1"), ("X-A", "2")]),
        "tuple_dict": lambda: ({"k": 1}, 400),
        "response": lambda: fw.Response("resp", status=203, mimetype="text/plain"),
        "make_response": lambda: fw.make_response(("made", 206, {"X-M": "m"})),
        "jsonify": lambda: fw.jsonify(x=1, y=[True, None]),
        "jsonify_list": lambda: fw.jsonify(1, 2, 3),
        "redirect": lambda: fw.redirect("/elsewhere?q=1"),
        "redirect_301": lambda: fw.redirect("http://example.com/x", 301),
        "iterator": lambda: iter(["a", "b"]),
        "url_for": lambda: fw.url_for("child.page", lang="de", x="1", _external=True),
    }

    def make_ret(kind: str, func: Callable[[], Any]) -> Callable[[], Any]:
        def view() -> Any:
            log.append(f"view ret {kind}")
            return func()

        view.__name__ = f"ret_{kind}"
        return view

    for kind, func in returns.items():
        app.add_url_rule(f"/ret/{kind}", view_func=make_ret(kind, func))

    # --- sessions ---------------------------------------------------------------------------

    @app.route("/session/set")
    def session_set() -> Any:
        log.append("view session_set")
        for key, value in request.args.items():
            session[key] = value
        session["tuple"] = (1, b"two")
        return "set"

    @app.route("/session/modify")
    def session_modify() -> Any:
        log.append("view session_modify")
        session.setdefault("items", []).append(len(session.get("items", [])))
        session.modified = True  # a nested change is invisible without this
        return "modified"

    @app.route("/session/read")
    def session_read() -> Any:
        log.append("view session_read")
        return repr(sorted(session.items()))

    @app.route("/session/clear")
    def session_clear() -> Any:
        log.append("view session_clear")
        session.clear()
        return "cleared"

    @app.route("/session/permanent")
    def session_permanent() -> Any:
        log.append("view session_permanent")
        session.permanent = True
        session["p"] = 1
        return "permanent"

    @app.route("/session/big")
    def session_big() -> Any:
        log.append("view session_big")
        session["big"] = "ctxscope " * 60  # compresses well: the payload gets a leading "."
        return "big"

    @app.route("/session/untouched")
    def session_untouched() -> Any:
        log.append("view session_untouched")
        return "untouched"

    # --- nested blueprints ------------------------------------------------------------------

    @parent.route("/")
    def parent_index() -> Any:
        log.append("view parent_index")
        return "parent"

    @child.route("/<lang>/page")
    def page() -> Any:
        log.append(f"view page {g.lang}")

        @fw.after_this_request
        def tag(response: Any) -> Any:
            log.append(f"after_this_request {response.status_code}")
            return response

        return f"page in {g.lang}"

    @child.route("/mid")
    def mid() -> Any:
        log.append("view mid")
        raise MidError("from child")

    @child.route("/leaf")
    def child_leaf() -> Any:
        log.append("view child_leaf")
        raise LeafError("from child")

    @child.route("/abort/<int:code>")
    def child_abort(code: int) -> Any:
        log.append(f"view child_abort {code}")
        fw.abort(code)

    @child.route("/boom")
    def child_boom() -> Any:
        log.append("view child_boom")
        raise KeyError("child")

    parent.register_blueprint(child)
    app.register_blueprint(parent)

    for signal_name in SIGNALS:
        _connect(app, getattr(fw.signals, signal_name), signal_name, log)
    return app


def _connect(app: Any, signal: Any, name: str, log: list[str]) -> None:
    def receiver(sender: Any, **kwargs: Any) -> None:
        detail = ""
        if "exc" in kwargs:
            detail = f" {kwargs['exc']!r}"
        elif "exception" in kwargs:
            detail = f" {kwargs['exception']!r}"
        elif "response" in kwargs:
            detail = f" {kwargs['response'].status_code}"
        log.append(f"signal {name}{detail}")

    signal.connect(receiver, sender=app, weak=False)
    # Keep the receiver alive with the app and let the test disconnect it.
    app.extensions.setdefault("diff_receivers", []).append((signal, receiver))


def disconnect(app: Any) -> None:
    for signal, receiver in app.extensions.get("diff_receivers", ()):
        signal.disconnect(receiver, sender=app)


def call(
    app: Any,
    method: str,
    path: str,
    *,
    cookie: str | None = None,
    **kwargs: Any,
) -> tuple[str, list[tuple[str, str]], bytes]:
    """One request through the WSGI interface: (status, headers, body)."""
    headers = list(kwargs.pop("headers", []))
    if cookie is not None:
        headers.append(("Cookie", f"session={cookie}"))
    client = Client(app, use_cookies=False)
    response = client.open(path, method=method, headers=headers, **kwargs)
    try:
        body = response.get_data()
    finally:
        response.close()
    return response.status, list(response.headers.items()), body


def session_cookie(headers: list[tuple[str, str]]) -> str | None:
    """The session cookie's value from a response's Set-Cookie headers."""
    for key, value in headers:
        if key == "Set-Cookie" and value.startswith("session="):
            return value.split(";", 1)[0].split("=", 1)[1]
    return None

