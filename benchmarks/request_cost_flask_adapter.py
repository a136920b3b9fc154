"""Cost of watching a real Flask app: attached (a subscriber keeping every event) vs plain.

Both apps are built by the same factory and called in-process through WSGI with the same
request (session cookie, one blueprint, before/after/teardown hooks), alternating rounds so
that both see the same machine state. Prints CPU µs per request (``time.thread_time``, so other load
on the machine does not skew either side) and the ratios (target <= 1.2x watched; the attached app
nobody watches well below that). The garbage collector stays on and the subscriber keeps up to
200,000 events, as a capture would: its collections are part of what watching costs.

    python benchmarks/request_cost_flask_adapter.py [--requests N] [--rounds R]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask
from flask import Flask
from werkzeug.test import EnvironBuilder

import engine
from engine.flask_adapter import attach


def create_app(framework: Any = flask) -> Any:
    """The benchmark app on Flask, or on ctxscope's own engine with ``framework=engine``:
    the same code, the same hooks and view."""
    app_class = framework.Flask if framework is flask else framework.App
    g, session = framework.g, framework.session
    app = app_class("bench")
    app.secret_key = "bench-secret"
    bp = framework.Blueprint("api", __name__, url_prefix="/api")

    @app.before_request
    def load_user() -> None:
        g.user = session.get("user")

    @app.after_request
    def tag(response: Any) -> Any:
        response.headers["X-Bench"] = "1"
        return response

    @app.teardown_request
    def cleanup(exc: BaseException | None) -> None:
        g.pop("user", None)

    @bp.route("/items/<int:n>")
    def item(n: int) -> dict[str, Any]:
        return {"n": n, "user": g.user}

    app.register_blueprint(bp)
    return app


def _environ(app: Flask) -> dict[str, Any]:
    cookie = app.session_interface.get_signing_serializer(app).dumps({"user": "ada"})
    builder = EnvironBuilder(path="/api/items/7", headers=[("Cookie", f"session={cookie}")])
    try:
        return builder.get_environ()
    finally:
        builder.close()


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
    return None


def _run(app: Any, environ: dict[str, Any], n: int) -> float:
    # CPU time of this thread: other processes on a busy machine do not count against either side.
    started = time.thread_time()
    for _ in range(n):
        body = app(dict(environ), _start_response)
        for _chunk in body:
            pass
        close = getattr(body, "close", None)
        if close is not None:
            close()
    return (time.thread_time() - started) / n * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds")
    args = parser.parse_args()
    plain = create_app()
    idle = attach(create_app())  # instrumented, nobody subscribed: wrappers and stacks only
    adapter = attach(create_app())
    kept: list[Any] = []

    def keep(event: Any) -> None:
        kept.append(event)
        if len(kept) > 200_000:
            kept.clear()

    adapter.subscribe(keep)
    engine_plain = create_app(engine)  # the same app on ctxscope's engine, for scale
    engine_watched = create_app(engine)
    engine_watched.subscribe(keep)
    environ = _environ(plain)
    runs = {
        "plain Flask": plain,
        "Flask + ctxscope, nobody watching": idle,
        "Flask + ctxscope, subscriber": adapter,
        "engine, nobody watching": engine_plain,
        "engine, subscriber": engine_watched,
    }
    for app in runs.values():  # warm: imports, first-request scans, caches
        _run(app, environ, 200)
    kept.clear()
    _run(adapter, environ, 100)
    per_request_events = len(kept) // 100
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.rounds):
        for name, app in runs.items():
            times[name].append(_run(app, environ, args.requests))
    median = {name: statistics.median(values) for name, values in times.items()}
    flask_version = importlib.metadata.version("flask")
    print(
        f"Flask {flask_version}, {args.rounds} rounds x {args.requests} requests, "
        f"median us per request ({per_request_events} events per request when watched):"
    )
    base = median["plain Flask"]
    for name, value in median.items():
        print(f"  {name:<36} {value:8.1f} us   {value / base:5.2f}x plain Flask")
    ratio = median["Flask + ctxscope, subscriber"] / base
    idle_ratio = median["Flask + ctxscope, nobody watching"] / base
    engine_ratio = median["engine, subscriber"] / median["engine, nobody watching"]
    print(f"  watched Flask / plain Flask          {ratio:5.2f}x   (target <= 1.20x)")
    print(f"  attached, idle Flask / plain Flask   {idle_ratio:5.2f}x   (well below 1.20x)")
    print(f"  watched engine / idle engine         {engine_ratio:5.2f}x   (same events, for scale)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
