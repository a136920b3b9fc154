"""Templates and flashed messages of an attached Flask app: Flask's own signals, as events.

``before_render_template``, ``template_rendered`` and ``message_flashed`` are received from
Flask's signals (sent only when a view renders or flashes), so each event lands exactly where
Flask sends its signal: the test records the real signals in the same list as the events.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import flask
import pytest

from engine import flash as engine_flash
from engine.app import App
from engine.commands.trace import format_event
from engine.flask_adapter import attach
from inspector.models.describe import event_detail

TEMPLATE_KINDS = ("before_render_template", "template_rendered", "message_flashed")


def _app(templates: Path) -> flask.Flask:
    (templates / "page.html").write_text("<p>{{ user }} has {{ items|length }} items {{ tag }}</p>")
    app = flask.Flask("templated", template_folder=str(templates))
    app.secret_key = "templates-secret"

    @app.context_processor
    def add_tag() -> dict[str, str]:
        return {"tag": "from-processor"}

    @app.route("/page")
    def page() -> str:
        flask.flash("saved")
        flask.flash({"code": 7}, "warning")
        return flask.render_template("page.html", user="ada", items=[1, 2, 3])

    @app.route("/string")
    def string() -> str:
        return flask.render_template_string("{{ greeting }}, {{ session.get('n') }}", greeting="hi")

    @app.route("/streamed")
    def streamed() -> Any:
        return flask.Response(flask.stream_template("page.html", user="bo", items=[]))

    @app.route("/plain")
    def plain() -> str:
        return "no template"

    return app


@pytest.fixture
def app(tmp_path: Path) -> flask.Flask:
    return _app(tmp_path)


def _record(app: flask.Flask) -> tuple[Any, list[tuple[str, Any]]]:
    """The attached app and one list holding both Flask's real signals and ctxscope's events."""
    seen: list[tuple[str, Any]] = []
    for name in TEMPLATE_KINDS:

        def receiver(sender: Any, _name: str = name, **kwargs: Any) -> None:
            seen.append(("signal", _name))

        getattr(flask, name).connect(receiver, app, weak=False)
    adapter = attach(app)
    adapter.subscribe(lambda e: seen.append(("event", e)))
    return adapter, seen


def _disconnect(app: flask.Flask) -> None:
    for name in TEMPLATE_KINDS:
        for receiver in list(getattr(flask, name).receivers_for(app)):
            getattr(flask, name).disconnect(receiver, app)


def test_each_event_lands_where_flask_sends_its_signal(app: flask.Flask) -> None:
    adapter, seen = _record(app)
    try:
        response = adapter.test_client().get("/page")
    finally:
        _disconnect(app)
    assert response.data == b"<p>ada has 3 items from-processor</p>"
    steps = [
        (what, item if what == "signal" else item.kind)
        for what, item in seen
        if what == "signal" or item.kind in (*TEMPLATE_KINDS, "view")
    ]
    # The receivers connected first run first; ctxscope's event follows each signal at once.
    assert steps == [
        ("signal", "message_flashed"),
        ("event", "message_flashed"),
        ("signal", "message_flashed"),
        ("event", "message_flashed"),
        ("signal", "before_render_template"),
        ("event", "before_render_template"),
        ("signal", "template_rendered"),
        ("event", "template_rendered"),
        ("event", "view"),
    ]


def test_fields_name_the_template_and_its_context(app: flask.Flask) -> None:
    adapter = attach(app)
    events: list[Any] = []
    adapter.subscribe(events.append)
    client = adapter.test_client()
    client.get("/page")
    by_kind = {e.kind: e for e in events if e.kind in TEMPLATE_KINDS}
    flashed = [e for e in events if e.kind == "message_flashed"]
    assert [(e.message, e.category) for e in flashed] == [
        ("saved", "message"),
        ({"code": 7}, "warning"),
    ]
    rendered = by_kind["template_rendered"]
    assert rendered.template == "page.html"
    # What the view passed and the context processor added; Flask's proxies left out.
    assert rendered.context == {"user": "ada", "items": [1, 2, 3], "tag": "from-processor"}
    assert by_kind["before_render_template"].to_json()["context"] == rendered.context
    request_id = next(e.request_id for e in events if e.kind == "view")
    assert {e.request_id for e in by_kind.values()} == {request_id}

    events.clear()
    client.get("/string")
    strings = [e for e in events if e.kind == "template_rendered"]
    # render_template_string has no name; context processors apply to it too.
    assert [(e.template, e.context) for e in strings] == [
        (None, {"greeting": "hi", "tag": "from-processor"})
    ]


def test_a_streamed_template_reports_while_the_body_is_sent(app: flask.Flask) -> None:
    adapter = attach(app)
    events: list[Any] = []
    adapter.subscribe(events.append)
    with adapter.test_client().get("/streamed") as response:
        assert response.data == b"<p>bo has 0 items from-processor</p>"
    kinds = [e.kind for e in events if e.kind in TEMPLATE_KINDS]
    assert kinds == ["before_render_template", "template_rendered"]


def test_responses_are_unchanged_and_quiet_apps_pay_nothing(tmp_path: Path) -> None:
    plain = _app(tmp_path).test_client()
    attached_app = attach(_app(tmp_path))
    events: list[Any] = []
    attached_app.subscribe(events.append)
    attached = attached_app.test_client()
    for path in ("/page", "/string", "/streamed", "/plain"):
        responses = []
        for client in (attached, plain):
            # Closed before the next request: a streamed body keeps its contexts pushed.
            with client.get(path) as response:
                responses.append((response.status, response.headers.to_wsgi_list(), response.data))
        assert responses[0] == responses[1]
    events.clear()
    attached.get("/plain")
    assert not [e for e in events if e.kind in TEMPLATE_KINDS]


def test_detach_disconnects_the_receivers(app: flask.Flask) -> None:
    adapter = attach(app)
    adapter.detach()
    for name in TEMPLATE_KINDS:
        assert not list(getattr(flask, name).receivers_for(app))


def test_the_engine_reports_its_own_flashes() -> None:
    app = App("flashing")
    app.secret_key = "k"

    @app.route("/")
    def index() -> str:
        engine_flash("engine says hi", "info")
        return "ok"

    events: list[Any] = []
    app.subscribe(events.append)
    assert app.test_client().get("/").data == b"ok"
    flashed = [e for e in events if e.kind == "message_flashed"]
    assert [(e.message, e.category) for e in flashed] == [("engine says hi", "info")]
    assert flashed[0].request_id == next(e.request_id for e in events if e.kind == "view")


def test_the_window_and_trace_describe_them(app: flask.Flask) -> None:
    adapter = attach(app)
    events: list[Any] = []
    adapter.subscribe(events.append)
    adapter.test_client().get("/page")
    shown = {e.kind: event_detail(e) for e in events if e.kind in TEMPLATE_KINDS}
    assert shown["template_rendered"].startswith("page.html  {")
    assert '"user":"ada"' in shown["template_rendered"].replace(" ", "")
    assert shown["message_flashed"] == '[warning] {"code":7}'
    lines = [format_event(e, events[0].t_ns) for e in events if e.kind in TEMPLATE_KINDS]
    assert any("template_rendered" in line and "page.html" in line for line in lines)
    assert any("message_flashed" in line and "[message] saved" in line for line in lines)


def test_trace_prints_them_for_a_flask_app(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "hello.html").write_text("hello {{ name }}")
    (tmp_path / "tplapp.py").write_text(
        "import flask\n"
        "app = flask.Flask(__name__)\n"
        "app.secret_key = 'k'\n"
        "@app.route('/')\n"
        "def index():\n"
        "    flask.flash('welcome')\n"
        "    return flask.render_template('hello.html', name='ada')\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "inspector", "trace", "--app", "tplapp", "GET", "/"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "message_flashed" in out and "[message] welcome" in out
    assert "template_rendered" in out and "hello.html {'name': 'ada'}" in out
    assert (
        out.index("before_render_template") < out.index("template_rendered") < out.index(" view ")
    )
