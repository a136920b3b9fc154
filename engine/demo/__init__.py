"""The demo app every command serves by default: one route for each thing worth watching.

- ``/login`` and ``/logout`` keep ``session["user_info"]``; ``/counter`` counts in the session;
  ``/remember`` makes the session permanent.
- ``g.db`` is a real SQLite connection, opened in ``before_request`` and closed in
  ``teardown_appcontext``; every request is logged in it (``/api/visits``).
- ``/slow?ms=N`` sleeps, so concurrent requests overlap and their threads show side by side.
- ``/boom`` raises; ``/admin/...`` is short-circuited by a ``before_request`` unless logged in;
  ``/go`` redirects; ``/api/...`` returns JSON; ``/nested`` pushes a second request context
  inside the view; ``/stream`` streams with the context kept alive; ``/shop/...`` and
  ``/shop/cart/...`` are nested blueprints with hooks of their own.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from typing import Any

from engine import (
    App,
    Blueprint,
    abort,
    after_this_request,
    current_app,
    g,
    jsonify,
    redirect,
    request,
    session,
    stream_with_context,
    url_for,
)

__all__ = ["create_app"]

SECRET_KEY = "ctxscope-demo-secret"
MAX_SLOW_MS = 30_000


def _open_db(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=5, check_same_thread=False)
    db.execute("CREATE TABLE IF NOT EXISTS visits (path TEXT, method TEXT, user TEXT, at REAL)")
    return db


def _shop_blueprints() -> Blueprint:
    shop = Blueprint("shop", __name__, url_prefix="/shop")
    cart = Blueprint("cart", __name__, url_prefix="/cart")

    @shop.before_request
    def shop_open() -> None:
        g.shop_opened_at = time.time()

    @shop.after_request
    def shop_header(response: Any) -> Any:
        response.headers["X-Shop"] = "open"
        return response

    @shop.teardown_request
    def shop_close(error: BaseException | None) -> None:
        g.pop("shop_opened_at", None)

    @shop.route("/")
    def catalogue() -> Any:
        return {"items": ["teapot", "kettle", "cup"]}

    @cart.before_request
    def load_cart() -> None:
        g.cart = session.get("cart", [])

    @cart.after_request
    def cart_header(response: Any) -> Any:
        response.headers["X-Cart-Size"] = str(len(g.get("cart", [])))
        return response

    @cart.teardown_request
    def cart_done(error: BaseException | None) -> None:
        pass

    @cart.route("/")
    def show_cart() -> Any:
        return {"cart": g.cart}

    @cart.route("/add/<item>", methods=["GET", "POST"])
    def add(item: str) -> Any:
        session["cart"] = [*g.cart, item]
        return redirect(url_for(".show_cart"))

    shop.register_blueprint(cart)
    return shop


def create_app(db_path: str | None = None) -> App:
    """Build the demo app (a fresh one each call; the SQLite file lives in a temp dir)."""
    app = App("ctxscope.demo")
    app.config.update(SECRET_KEY=SECRET_KEY, PERMANENT_SESSION_LIFETIME=3600)
    db_file = db_path or os.path.join(tempfile.mkdtemp(prefix="ctxscope-demo-"), "demo.db")
    _open_db(db_file).close()

    @app.before_request
    def open_db() -> None:
        g.db = _open_db(db_file)

    @app.before_request
    def require_login_for_admin() -> Any:
        if request.path.startswith("/admin") and "user_info" not in session:
            return {"error": "login required", "login": url_for("login")}, 401
        return None

    @app.after_request
    def log_visit(response: Any) -> Any:
        user = session.get("user_info")
        g.db.execute(
            "INSERT INTO visits VALUES (?, ?, ?, ?)",
            (request.path, request.method, user, time.time()),
        )
        g.db.commit()
        return response

    @app.teardown_request
    def forget_request(error: BaseException | None) -> None:
        g.pop("request_note", None)

    @app.teardown_appcontext
    def close_db(error: BaseException | None) -> None:
        db = g.pop("db", None)
        if db is not None:
            db.close()

    @app.url_value_preprocessor
    def pull_lang(endpoint: str | None, values: dict[str, Any] | None) -> None:
        if values and "lang" in values:
            g.lang = values.pop("lang")

    @app.route("/")
    def index() -> Any:
        rules = [
            {
                "rule": r.rule,
                "endpoint": r.endpoint,
                "methods": sorted(m for m in (r.methods or ()) if m not in ("HEAD", "OPTIONS")),
                "websocket": bool(getattr(r, "websocket", False)),
            }
            for r in current_app.iter_routes()
        ]
        items = "".join(
            f"<li><code>{', '.join(r['methods'])} {r['rule']}</code> ({r['endpoint']})</li>"
            for r in rules
        )
        return f"<!doctype html><title>ctxscope demo</title><h1>ctxscope demo</h1><ul>{items}</ul>"

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        name = request.values.get("name", "ada")
        session["user_info"] = name
        return {"logged_in": name}

    @app.route("/logout", methods=["GET", "POST"])
    def logout() -> Any:
        session.clear()
        return {"logged_in": None}

    @app.route("/whoami")
    def whoami() -> Any:
        return {"user": session.get("user_info")}

    @app.route("/counter")
    def counter() -> Any:
        session["count"] = session.get("count", 0) + 1
        return {"count": session["count"]}

    @app.route("/remember")
    def remember() -> Any:
        session.permanent = True
        return {"permanent": True}

    @app.route("/slow")
    def slow() -> Any:
        try:
            ms = int(request.args.get("ms", "1000"))
        except ValueError:
            abort(400, "ms must be an integer number of milliseconds")
        if not 0 <= ms <= MAX_SLOW_MS:
            abort(400, f"ms must be between 0 and {MAX_SLOW_MS}")
        time.sleep(ms / 1000)
        return {"slept_ms": ms}

    @app.route("/boom")
    def boom() -> Any:
        return {"result": 1 / 0}

    @app.route("/admin/")
    def admin() -> Any:
        return {"admin": session["user_info"]}

    @app.route("/go")
    def go() -> Any:
        return redirect(url_for("whoami"))

    @app.route("/api/visits")
    def visits() -> Any:
        rows = g.db.execute(
            "SELECT path, COUNT(*) FROM visits GROUP BY path ORDER BY 2 DESC"
        ).fetchall()
        return jsonify(visits=[{"path": p, "count": n} for p, n in rows])

    @app.route("/api/echo", methods=["POST", "PUT"])
    def echo() -> Any:
        return jsonify(
            json=request.get_json(silent=True),
            form=request.form.to_dict(),
            args=request.args.to_dict(),
            headers={k: v for k, v in request.headers.items() if k.startswith("X-")},
        )

    @app.route("/<lang>/hello")
    def hello() -> Any:
        return f"hello ({g.lang})"

    @app.route("/nested")
    def nested() -> Any:
        outer = request.path
        with current_app.test_request_context("/inner"):
            inner = request.path
            depth = {"inner_path": inner}
        return {"outer": outer, **depth}

    @app.route("/stream")
    def stream() -> Any:
        @stream_with_context
        def generate() -> Iterator[str]:
            for i in range(5):
                yield f"chunk {i} for {request.path}\n"
                time.sleep(0.05)

        return current_app.response_class(generate(), mimetype="text/plain")

    @app.route("/once")
    def once() -> Any:
        @after_this_request
        def add_header(response: Any) -> Any:
            response.headers["X-Once"] = "yes"
            return response

        return "after_this_request adds a header"

    app.register_blueprint(_shop_blueprints())
    _register_websockets(app)
    return app


def _register_websockets(app: App) -> None:
    try:
        from . import ws_routes
    except ImportError:  # the WebSocket routes are optional for the HTTP demo
        return
    ws_routes.register(app)
