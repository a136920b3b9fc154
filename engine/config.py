"""The app's configuration: a dict with Flask's defaults and loaders."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

__all__ = ["DEFAULT_CONFIG", "WEBSOCKET_DEFAULTS", "Config"]

WEBSOCKET_DEFAULTS: dict[str, Any] = {
    "WEBSOCKET_MAX_SIZE": 2**20,  # bytes of one message; larger ones close with 1009
    "WEBSOCKET_COMPRESSION": True,  # offer permessage-deflate
    "WEBSOCKET_PING_INTERVAL": 20.0,  # seconds between keepalive pings (None: off)
    "WEBSOCKET_PING_TIMEOUT": 20.0,  # seconds to wait for the pong
    "WEBSOCKET_CLOSE_TIMEOUT": 10.0,  # seconds to wait for the closing handshake
    "WEBSOCKET_ORIGINS": None,  # allowed Origin values (None: any)
    "WEBSOCKET_SUBPROTOCOLS": None,  # subprotocols to negotiate
    "WEBSOCKET_TAP": True,  # parse the raw bytes for ws_frame events
}
"""Engine settings beyond Flask's, for WebSocket routes (``engine.ws``)."""

DEFAULT_CONFIG: dict[str, Any] = {
    "DEBUG": None,
    "TESTING": False,
    "PROPAGATE_EXCEPTIONS": None,
    "SECRET_KEY": None,
    "SECRET_KEY_FALLBACKS": None,
    "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
    "TRUSTED_HOSTS": None,
    "SERVER_NAME": None,
    "APPLICATION_ROOT": "/",
    "SESSION_COOKIE_NAME": "session",
    "SESSION_COOKIE_DOMAIN": None,
    "SESSION_COOKIE_PATH": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SECURE": False,
    "SESSION_COOKIE_PARTITIONED": False,
    "SESSION_COOKIE_SAMESITE": None,
    "SESSION_REFRESH_EACH_REQUEST": True,
    "USE_X_SENDFILE": False,
    "MAX_CONTENT_LENGTH": None,
    "MAX_FORM_MEMORY_SIZE": 500_000,
    "MAX_FORM_PARTS": 1_000,
    "SEND_FILE_MAX_AGE_DEFAULT": None,
    "EXPLAIN_TEMPLATE_LOADING": False,
    "TEMPLATES_AUTO_RELOAD": None,
    "TRAP_BAD_REQUEST_ERRORS": None,
    "TRAP_HTTP_EXCEPTIONS": False,
    "PREFERRED_URL_SCHEME": "http",
    "MAX_COOKIE_SIZE": 4093,
    "PROVIDE_AUTOMATIC_OPTIONS": True,
    **WEBSOCKET_DEFAULTS,
}


class Config(dict[str, Any]):
    """Configuration values; only UPPERCASE keys are taken from objects and mappings."""

    def from_mapping(self, mapping: dict[str, Any] | None = None, **kwargs: Any) -> bool:
        values: dict[str, Any] = dict(mapping or {}, **kwargs)
        for key, value in values.items():
            if key.isupper():
                self[key] = value
        return True

    def from_object(self, obj: object) -> None:
        for key in dir(obj):
            if key.isupper():
                self[key] = getattr(obj, key)

    def __repr__(self) -> str:
        return f"<Config {dict.__repr__(self)}>"
