"""An app whose sessions live server-side: the cookie holds only an opaque session id."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, session
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

STORE: dict[str, dict[str, Any]] = {}


class ServerSideSession(CallbackDict, SessionMixin):
    def __init__(self, initial: Any = None, sid: str | None = None) -> None:
        def on_update(self: ServerSideSession) -> None:
            self.modified = True

        super().__init__(initial, on_update)
        self.sid = sid
        self.modified = False


class ServerSideSessionInterface(SessionInterface):
    def open_session(self, app: Flask, request: Any) -> ServerSideSession:
        sid = request.cookies.get(self.get_cookie_name(app))
        if sid and sid in STORE:
            return ServerSideSession(STORE[sid], sid=sid)
        return ServerSideSession(sid=secrets.token_hex(8))

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        name = self.get_cookie_name(app)
        if not session:
            if session.modified:
                STORE.pop(session.sid, None)
                response.delete_cookie(name, path=self.get_cookie_path(app))
            return
        STORE[session.sid] = dict(session)
        if session.modified:
            response.set_cookie(name, session.sid, httponly=True, path=self.get_cookie_path(app))


def create_app(sid_source: Any = None) -> Flask:
    app = Flask("ctxfx_serverside")
    app.secret_key = "unused-for-server-side"
    app.session_interface = ServerSideSessionInterface()

    @app.route("/set/<value>")
    def set_value(value: str) -> str:
        session["value"] = value
        return "set"

    @app.route("/get")
    def get_value() -> str:
        return session.get("value", "none")

    return app
