"""JSON responses as Flask's default provider makes them (sorted keys, compact, ASCII)."""

from __future__ import annotations

import dataclasses
import decimal
import json
import uuid
from datetime import date
from typing import TYPE_CHECKING, Any

from werkzeug.http import http_date

if TYPE_CHECKING:
    from .app import App
    from .wrappers import Response

__all__ = ["JSONProvider"]


def _default(o: Any) -> Any:
    if isinstance(o, date):
        return http_date(o)
    if isinstance(o, decimal.Decimal | uuid.UUID):
        return str(o)
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)
    if hasattr(o, "__html__"):
        return str(o.__html__())
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


class JSONProvider:
    """``app.json``: dumps/loads and ``response()``, byte-compatible with Flask's default."""

    default = staticmethod(_default)
    ensure_ascii = True
    sort_keys = True
    compact: bool | None = None
    mimetype = "application/json"

    def __init__(self, app: App) -> None:
        self._app = app  # for debug mode and the response class

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        return json.dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return json.loads(s, **kwargs)

    def dump(self, obj: Any, fp: Any, **kwargs: Any) -> None:
        fp.write(self.dumps(obj, **kwargs))

    def load(self, fp: Any, **kwargs: Any) -> Any:
        return self.loads(fp.read(), **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        if args and kwargs:
            raise TypeError("app.json.response() takes either args or kwargs, not both")
        obj: Any = None
        if len(args) == 1:
            obj = args[0]
        elif args or kwargs:
            obj = args or kwargs
        dump_args: dict[str, Any] = {}
        if (self.compact is None and self._app.debug) or self.compact is False:
            dump_args.setdefault("indent", 2)
        else:
            dump_args.setdefault("separators", (",", ":"))
        return self._app.response_class(f"{self.dumps(obj, **dump_args)}\n", mimetype=self.mimetype)
