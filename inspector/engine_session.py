"""The engine the window watches: the app, its server on 127.0.0.1, and how to stop both."""

from __future__ import annotations

from typing import Any

__all__ = ["EngineSession", "app_routes", "app_secret_keys"]


def app_routes(app: Any) -> tuple[list[str], list[str]]:
    """(HTTP rules, WebSocket rules) of the app's URL map, as rule strings."""
    http: list[str] = []
    ws: list[str] = []
    for rule in app.url_map.iter_rules():
        (ws if getattr(rule, "websocket", False) else http).append(rule.rule)
    return sorted(set(http)), sorted(set(ws))


def app_secret_keys(app: Any) -> list[str]:
    """``[*SECRET_KEY_FALLBACKS, SECRET_KEY]`` (the order Flask verifies in, newest last)."""
    config = getattr(app, "config", {}) or {}
    keys = [k for k in (config.get("SECRET_KEY_FALLBACKS") or []) if k]
    if config.get("SECRET_KEY"):
        keys.append(config["SECRET_KEY"])
    return [k.decode("utf-8", "replace") if isinstance(k, bytes) else str(k) for k in keys]


class EngineSession:
    """An app served in the background; ``stop()`` shuts the server down cleanly."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        from engine.serving import Server

        self.app = app  # the engine App being served
        self.server = Server(app, host=host, port=port, threaded=True)  # real HTTP server
        self._running = False  # started and not yet stopped

    @classmethod
    def load(cls, spec: str | None, host: str = "127.0.0.1", port: int = 0) -> EngineSession:
        """Load ``spec`` (``MODULE:ATTR``; None for the demo) and bind the server.

        A Flask app comes back attached to the engine's instrumentation (``FlaskAdapter``), so
        the window watches it exactly as it watches an engine app.
        """
        from engine.loading import load_observable_app

        return cls(load_observable_app(spec), host=host, port=port)

    @property
    def url(self) -> str:
        return self.server.url

    def snapshot(self) -> Any:
        """The function that lists every thread's context stacks for this kind of app."""
        if getattr(self.app, "locals_reconstructed", False):  # a Flask app, attached
            from engine.flask_adapter import snapshot as flask_snapshot

            return flask_snapshot
        from engine.globals import snapshot

        return snapshot

    @property
    def breakpoints(self) -> Any:
        return getattr(self.app, "breakpoints", None)

    def start(self) -> EngineSession:
        self.server.start()
        self._running = True
        return self

    def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        bp = self.breakpoints
        if bp is not None:
            bp.clear()  # a held request would keep its server thread waiting
        self.server.stop()

    @property
    def running(self) -> bool:
        return self._running
