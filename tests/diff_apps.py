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
    "message_flashed",
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
        flash=mod.flash,
        get_flashed_messages=mod.get_flashed_messages,
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


class HandlerRaises(Exception):
    """Its handler raises in turn: the second error becomes a 500."""


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
        return f"app http {e.code}: {e.description}", e.code

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

    @app.route("/json-in", methods=["POST"])
    def json_in() -> Any:
        log.append("view json_in")
        return {"got": request.get_json()}

    @app.route("/form-in", methods=["POST"])
    def form_in() -> Any:
        log.append("view form_in")
        return {"form": request.form.to_dict(), "files": sorted(request.files)}

    @app.route("/limited", methods=["POST"])
    def limited() -> Any:
        log.append("view limited")
        request.max_content_length = 10  # per request, new in Flask 3.1
        return {"form": request.form.to_dict()}

    @app.route("/flash")
    def do_flash() -> Any:
        log.append("view flash")
        fw.flash("saved")
        fw.flash("careful", "warning")
        return "flashed"

    @app.route("/flashes")
    def flashes() -> Any:
        log.append("view flashes")
        return {"all": fw.get_flashed_messages(with_categories=True)}

    @app.route("/types")
    def types() -> Any:
        log.append("view types")
        import dataclasses
        import decimal
        import uuid
        from datetime import date

        @dataclasses.dataclass
        class Point:
            x: int
            y: int

        return fw.jsonify(
            when=date(2024, 2, 29),
            at=datetime(2024, 2, 29, 12, 30, tzinfo=UTC),
            price=decimal.Decimal("10.50"),
            id=uuid.UUID(int=255),
            point=Point(1, 2),
            text="é<b>",
        )

    @app.route("/handler-raises")
    def handler_raises() -> Any:
        log.append("view handler_raises")
        raise HandlerRaises("first")

    @app.errorhandler(HandlerRaises)
    def raising_handler(e: HandlerRaises) -> Any:
        log.append("errorhandler raising_handler")
        raise RuntimeError("handler failed too")

    @app.route("/defaults/", defaults={"page": 1}, strict_slashes=False)
    @app.route("/defaults/<int:page>")
    def defaults(page: int) -> Any:
        log.append(f"view defaults {page}")
        return fw.url_for("defaults", page=page, _anchor="top b", q="x y")

    app.add_url_rule("/old", "old", redirect_to="/parent/")

    @app.route("/once-then-raise")
    def once_then_raise() -> Any:
        log.append("view once_then_raise")

        @fw.after_this_request
        def still_runs(response: Any) -> Any:
            log.append(f"after_this_request {response.status_code}")
            return response

        raise LeafError("after registering")

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

    @child.route("/urls")
    def urls() -> Any:
        log.append("view urls")
        return fw.jsonify(
            relative=fw.url_for(".page", lang="it"),
            absolute=fw.url_for("parent.child.page", lang="en", _external=True),
            scheme=fw.url_for(".urls", _scheme="https", _external=True),
            method=fw.url_for("post_only", _method="POST"),
            endpoint=request.endpoint,
            blueprint=request.blueprint,
            blueprints=request.blueprints,
        )

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


# --- small apps for single behaviours -----------------------------------------------------------


def build_exception_handler_only(fw: SimpleNamespace, log: list[str]) -> Any:
    """Only a handler for Exception: it also takes HTTP errors, but never routing redirects."""
    app = fw.Flask("small")
    app.config["SECRET_KEY"] = "k"

    @app.errorhandler(Exception)
    def any_exc(e: Exception) -> Any:
        log.append(f"any {type(e).__name__}")
        return f"any {type(e).__name__}", getattr(e, "code", None) or 500

    @app.route("/slash/")
    def slash() -> Any:
        return "s"

    @app.route("/a")
    def a() -> Any:
        fw.abort(404, description="custom desc")

    @app.route("/b")
    def b() -> Any:
        raise KeyError("k")

    @app.route("/vary")
    def vary() -> Any:
        return "v"

    @app.after_request
    def touch(response: Any) -> Any:
        fw.session.get("x")  # reached only here: still "Vary: Cookie"
        return response

    return app


def build_trap_http(fw: SimpleNamespace, log: list[str]) -> Any:
    """TRAP_HTTP_EXCEPTIONS: HTTP errors go the unhandled-exception way (500)."""
    app = fw.Flask("small")
    app.config.update(TRAP_HTTP_EXCEPTIONS=True, PROPAGATE_EXCEPTIONS=False)
    app.logger.disabled = True

    @app.errorhandler(500)
    def e500(e: Any) -> Any:
        log.append(f"500 {type(e.original_exception).__name__}")
        return "500 handler", 500

    @app.route("/a")
    def a() -> Any:
        fw.abort(403)

    return app


def build_testing(fw: SimpleNamespace, log: list[str]) -> Any:
    """TESTING on: errors propagate to the caller; bad return values; aborting preprocessors."""
    app = fw.Flask("small")
    app.config["TESTING"] = True

    @app.teardown_request
    def down(exc: BaseException | None) -> None:
        log.append(f"teardown {exc!r}")

    @app.route("/")
    def index() -> Any:
        raise ZeroDivisionError("z")

    @app.route("/bad")
    def bad() -> Any:
        return 42

    @app.route("/uvp/<int:x>")
    def uvp(x: int) -> Any:
        return str(x)

    @app.url_value_preprocessor
    def pre(endpoint: str | None, values: dict[str, Any] | None) -> None:
        if values and values.get("x") == 7:
            fw.abort(418)

    return app


def build_teardown_raises(fw: SimpleNamespace, log: list[str]) -> Any:
    """A teardown function that raises: the error leaves wsgi_app, contexts still pop."""
    app = fw.Flask("small")

    @app.teardown_request
    def down(exc: BaseException | None) -> None:
        log.append("teardown raising")
        raise ValueError("td")

    @app.teardown_appcontext
    def down_app(exc: BaseException | None) -> None:
        log.append(f"teardown_app {exc!r}")

    @app.route("/")
    def index() -> Any:
        return "i"

    for signal_name in SIGNALS:
        _connect(app, getattr(fw.signals, signal_name), signal_name, log)
    return app


def build_async_view(fw: SimpleNamespace, log: list[str]) -> Any:
    """An ``async def`` view without asgiref installed."""
    app = fw.Flask("small")
    app.logger.disabled = True

    @app.route("/")
    async def index() -> Any:
        return "async"

    _connect(app, fw.signals.got_request_exception, "got_request_exception", log)
    return app


def build_script_root(fw: SimpleNamespace, log: list[str]) -> Any:
    """Mounted under a SCRIPT_NAME with APPLICATION_ROOT: URLs and the cookie path follow."""
    app = fw.Flask("small")
    app.config.update(SECRET_KEY="k", APPLICATION_ROOT="/pre")

    @app.route("/")
    def index() -> Any:
        fw.session["a"] = 1
        return fw.jsonify(
            u=fw.url_for("index"),
            ext=fw.url_for("index", _external=True),
            root=fw.request.url_root,
            full=fw.request.full_path,
        )

    return app


def build_blueprint_features(fw: SimpleNamespace, log: list[str]) -> Any:
    """url_defaults, app-wide hooks from a blueprint, one blueprint registered twice."""
    app = fw.Flask("small")
    app.config["SECRET_KEY"] = "k"
    app.logger.disabled = True  # /bp/d fails to build its URL on both sides, as expected
    bp = fw.Blueprint("bp", "small", url_prefix="/bp", url_defaults={"lang": "en"})

    @bp.url_defaults
    def add_lang(endpoint: str, values: dict[str, Any]) -> None:
        log.append(f"url_defaults {endpoint} {sorted(values)}")
        values.setdefault("lang", "xx")

    @bp.url_value_preprocessor
    def pull(endpoint: str | None, values: dict[str, Any] | None) -> None:
        log.append(f"uvp {endpoint} {values}")

    @bp.before_app_request
    def before_app() -> None:
        log.append("before_app_request")

    @bp.after_app_request
    def after_app(response: Any) -> Any:
        log.append("after_app_request")
        return response

    @bp.teardown_app_request
    def teardown_app(exc: BaseException | None) -> None:
        log.append("teardown_app_request")

    @bp.app_errorhandler(418)
    def teapot(e: Any) -> Any:
        return "teapot", 418

    @bp.route("/<lang>/x")
    def x(lang: str) -> Any:
        return fw.jsonify(
            lang=lang,
            u=fw.url_for(".x"),
            u2=fw.url_for("bp.x", lang="de"),
            va=fw.request.view_args,
            bps=fw.request.blueprints,
        )

    @bp.route("/d")
    def d(lang: str) -> Any:
        return fw.jsonify(lang=lang, u=fw.url_for(".d"))

    def mv() -> Any:
        return fw.request.method

    mv.methods = ["PUT", "PATCH"]  # type: ignore[attr-defined]
    app.add_url_rule("/mv", view_func=mv)

    @app.route("/t")
    def t() -> Any:
        fw.abort(418)

    app.register_blueprint(bp)
    app.register_blueprint(bp, name="bp2", url_prefix="/two")
    return app


def build_random(fw: SimpleNamespace, log: list[str], spec: dict[str, Any]) -> Any:
    """An app shaped by ``spec`` (hook counts per level, who raises or returns early).

    ``spec``: ``hooks`` {level: {kind: count}}, ``short`` / ``raise_before`` / ``raise_after``
    (a hook tag or None), ``view`` ("ok", "mid", "value", "abort404", "abort409"),
    ``handlers`` (subset of {"app_mid", "parent_http", "app_500", "child_404"}).
    """
    app = fw.Flask("randomapp")
    app.config.update(SECRET_KEY="k", PROPAGATE_EXCEPTIONS=False)
    app.logger.disabled = True
    parent = fw.Blueprint("parent", "randomapp", url_prefix="/p")
    child = fw.Blueprint("child", "randomapp", url_prefix="/c")
    targets = {"app": app, "parent": parent, "child": child}
    for level, kinds in spec["hooks"].items():
        target = targets[level]
        for kind, count in kinds.items():
            for n in range(count):
                tag = f"{kind}:{level}#{n}"
                _add_random_hook(fw, log, app, target, kind, tag, spec)
    handlers = spec["handlers"]
    if "app_mid" in handlers:
        app.register_error_handler(MidError, lambda e: (log.append("h app_mid"), ("mid", 400))[1])
    if "parent_http" in handlers:
        parent.register_error_handler(
            HTTPException, lambda e: (log.append(f"h parent_http {e.code}"), ("ph", e.code))[1]
        )
    if "app_500" in handlers:
        app.register_error_handler(500, lambda e: (log.append("h app_500"), ("500!", 500))[1])
    if "child_404" in handlers:
        child.register_error_handler(404, lambda e: (log.append("h child_404"), ("c404", 404))[1])

    @child.route("/v")
    def view() -> Any:
        log.append("view")
        fw.session["seen"] = fw.session.get("seen", 0) + 1
        what = spec["view"]
        if what == "mid":
            raise LeafError("view")
        if what == "value":
            raise ValueError("view")
        if what.startswith("abort"):
            fw.abort(int(what[5:]))
        return "ok"

    parent.register_blueprint(child)
    app.register_blueprint(parent)
    for signal_name in SIGNALS:
        _connect(app, getattr(fw.signals, signal_name), signal_name, log)
    return app


def _add_random_hook(
    fw: SimpleNamespace,
    log: list[str],
    app: Any,
    target: Any,
    kind: str,
    tag: str,
    spec: dict[str, Any],
) -> None:
    if kind == "before":

        def before() -> Any:
            log.append(tag)
            if spec["short"] == tag:
                return "short", 203
            if spec["raise_before"] == tag:
                raise MidError(tag)
            return None

        target.before_request(before)
    elif kind == "after":

        def after(response: Any) -> Any:
            log.append(f"{tag} {response.status_code}")
            if spec["raise_after"] == tag:
                raise ValueError(tag)
            return response

        target.after_request(after)
    elif kind == "teardown":
        target.teardown_request(lambda exc: log.append(f"{tag} {exc!r}"))
    elif kind == "uvp":
        target.url_value_preprocessor(lambda endpoint, values: log.append(tag))
    elif kind == "teardown_app":
        app.teardown_appcontext(lambda exc: log.append(f"{tag} {exc!r}"))
