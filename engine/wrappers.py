"""Flask's request and response classes: Werkzeug's, plus routing and config awareness."""

from __future__ import annotations

from functools import cache
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule
from werkzeug.wrappers import Request as _Request
from werkzeug.wrappers import Response as _Response

from .globals import _app_ctx_stack

__all__ = ["Request", "Response"]


@cache
def _split_blueprint_path(name: str) -> list[str]:
    # "a.b.c" -> ["a.b.c", "a.b", "a"]: innermost blueprint first.
    out = [name]
    if "." in name:
        out.extend(_split_blueprint_path(name.rpartition(".")[0]))
    return out


class Request(_Request):
    """The request object: Werkzeug's, plus the matched rule and its blueprints."""

    json_module: Any = None
    url_rule: Rule | None = None
    view_args: dict[str, Any] | None = None
    routing_exception: HTTPException | None = None

    @property
    def max_content_length(self) -> int | None:  # type: ignore[override]
        top = _app_ctx_stack.top
        return top.app.config["MAX_CONTENT_LENGTH"] if top is not None else None

    @property
    def endpoint(self) -> str | None:
        return self.url_rule.endpoint if self.url_rule is not None else None

    @property
    def blueprint(self) -> str | None:
        endpoint = self.endpoint
        if endpoint is not None and "." in endpoint:
            return endpoint.rpartition(".")[0]
        return None

    @property
    def blueprints(self) -> list[str]:
        """The blueprint and its parents, innermost first."""
        name = self.blueprint
        if name is None:
            return []
        return _split_blueprint_path(name)


class Response(_Response):
    """The response object; HTML by default, as in Flask."""

    default_mimetype = "text/html"
    autocorrect_location_header = False

    @property
    def max_cookie_size(self) -> int:  # type: ignore[override]
        top = _app_ctx_stack.top
        if top is not None:
            return top.app.config["MAX_COOKIE_SIZE"]  # type: ignore[no-any-return]
        return super().max_cookie_size
