"""A Flask app using every hook kind, shared by the fixture modules that load it.

Every hook appends ``(kind, qualname)`` to ``app.config["CTXFX_RECORD"]`` when the test put a
list there, so a test can compare ctxscope's events with what Flask itself ran.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    after_this_request,
    current_app,
    g,
    jsonify,
    redirect,
    request,
    session,
    stream_with_context,
)


def _record(kind: str, name: str) -> None:
    record = current_app.config.get("CTXFX_RECORD")
    if record is not None:
        record.append((kind, name))


def _hooks(scope: Any, prefix: str) -> None:
    """Two of each request hook on ``scope`` (the app or a blueprint)."""
    for i in (1, 2):

        def before(i: int = i) -> Any:
            _record("before_request", f"{prefix}_before_{i}")
            if request.args.get("stop") == f"{prefix}{i}":
                return f"stopped by {prefix}_before_{i}"
            return None

        def after(response: Any, i: int = i) -> Any:
            _record("after_request", f"{prefix}_after_{i}")
            response.headers.add("X-After", f"{prefix}{i}")
            return response

        def teardown(exc: BaseException | None, i: int = i) -> None:
            _record("teardown_request", f"{prefix}_teardown_{i}")

        for func, kind in ((before, "before"), (after, "after"), (teardown, "teardown")):
            func.__name__ = func.__qualname__ = f"{prefix}_{kind}_{i}"
        scope.before_request(before)
        scope.after_request(after)
        scope.teardown_request(teardown)

    def url_values(endpoint: str | None, values: dict[str, Any] | None) -> None:
        _record("url_value_preprocessor", f"{prefix}_url_values")
        if values and "lang" in values:
            g.lang = values.pop("lang")

    url_values.__name__ = url_values.__qualname__ = f"{prefix}_url_values"
    scope.url_value_preprocessor(url_values)


class Boom(Exception):
    """Raised by a view and handled by an app-level error handler."""


def build_app(secret: str = "fixture-secret", name: str = "ctxfx") -> Flask:
    app = Flask(name)
    app.config.update(SECRET_KEY=secret, SECRET_KEY_FALLBACKS=["old-fixture-secret"])
    _hooks(app, "app")

    @app.teardown_appcontext
    def app_teardown_appcontext(exc: BaseException | None) -> None:
        _record("teardown_appcontext", "app_teardown_appcontext")

    @app.route("/")
    def index() -> str:
        _record("view", "index")
        g.seen = True
        return f"hello {session.get('user', 'anonymous')}"

    @app.route("/login/<name>")
    def login(name: str) -> Any:
        _record("view", "login")
        session["user"] = name
        session["visits"] = [1, (2, 3)]
        return redirect("/")

    @app.route("/permanent")
    def permanent() -> str:
        _record("view", "permanent")
        session.permanent = True
        session["p"] = True
        return "permanent"

    @app.route("/logout")
    def logout() -> str:
        _record("view", "logout")
        session.clear()
        return "bye"

    @app.route("/boom")
    def boom() -> str:
        _record("view", "boom")
        raise Boom("handled boom")

    @app.route("/crash")
    def crash() -> str:
        _record("view", "crash")
        raise RuntimeError("unhandled crash")

    @app.route("/missing")
    def missing() -> str:
        _record("view", "missing")
        abort(404)

    @app.route("/json", methods=["GET", "POST"])
    def json_view() -> Any:
        _record("view", "json_view")
        return jsonify(ok=True, method=request.method, data=request.get_json(silent=True))

    @app.route("/later")
    def later() -> str:
        _record("view", "later")

        @after_this_request
        def add_header(response: Any) -> Any:
            _record("after_this_request", "add_header")
            response.headers["X-Later"] = "yes"
            return response

        return "later"

    @app.route("/stream")
    def stream() -> Any:
        _record("view", "stream")

        def gen() -> Any:
            yield "a"
            yield request.path

        return stream_with_context(gen())

    @app.errorhandler(Boom)
    def handle_boom(e: Boom) -> tuple[str, int]:
        _record("error_handler", "handle_boom")
        return f"boom handled: {e}", 418

    @app.errorhandler(404)
    def handle_404(e: Exception) -> tuple[str, int]:
        _record("error_handler", "handle_404")
        return "custom not found", 404

    parent = Blueprint("parent", __name__, url_prefix="/parent")
    child = Blueprint("child", __name__, url_prefix="/child/<lang>")
    _hooks(parent, "parent")
    _hooks(child, "child")

    @parent.route("/")
    def parent_index() -> str:
        _record("view", "parent_index")
        return "parent"

    @child.route("/item/<int:n>")
    def item(n: int) -> Any:
        _record("view", "item")
        return {"n": n, "lang": g.get("lang")}

    @child.errorhandler(KeyError)
    def child_key_error(e: KeyError) -> tuple[str, int]:
        _record("error_handler", "child_key_error")
        return "child key error", 400

    @child.route("/key")
    def key() -> str:
        _record("view", "key")
        raise KeyError("nope")

    parent.register_blueprint(child)
    app.register_blueprint(parent)
    return app
