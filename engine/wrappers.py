"""Flask's request and response classes: Werkzeug's, plus routing and config awareness."""

from __future__ import annotations

from functools import cache
from typing import Any

from werkzeug.datastructures import EnvironHeaders, ImmutableMultiDict
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.routing import Rule
from werkzeug.sansio.http import parse_cookie
from werkzeug.utils import cached_property
from werkzeug.wrappers import Request as _Request
from werkzeug.wrappers import Response as _Response

from .fastpaths import RequestFastPaths, ResponseFastPaths, cookie_header_values
from .globals import _app_ctx_stack

__all__ = ["Request", "Response"]


@cache
def _split_blueprint_path(name: str) -> list[str]:
    # "a.b.c" -> ["a.b.c", "a.b", "a"]: innermost blueprint first.
    out = [name]
    if "." in name:
        out.extend(_split_blueprint_path(name.rpartition(".")[0]))
    return out


class Request(RequestFastPaths, _Request):
    """The request object: Werkzeug's, plus the matched rule and its blueprints."""

    json_module: Any = None
    url_rule: Rule | None = None
    view_args: dict[str, Any] | None = None
    routing_exception: HTTPException | None = None

    _max_content_length: int | None = None
    _max_form_memory_size: int | None = None
    _max_form_parts: int | None = None

    # The three limits: a per-request override (Flask 3.1), else the app's config.
    @property
    def max_content_length(self) -> int | None:  # type: ignore[override]
        if self._max_content_length is not None:
            return self._max_content_length
        top = _app_ctx_stack.top
        if top is None:
            return super().max_content_length
        return top.app.config["MAX_CONTENT_LENGTH"]  # type: ignore[no-any-return]

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    @property
    def max_form_memory_size(self) -> int | None:  # type: ignore[override]
        if self._max_form_memory_size is not None:
            return self._max_form_memory_size
        top = _app_ctx_stack.top
        if top is None:
            return super().max_form_memory_size
        return top.app.config["MAX_FORM_MEMORY_SIZE"]  # type: ignore[no-any-return]

    @max_form_memory_size.setter
    def max_form_memory_size(self, value: int | None) -> None:
        self._max_form_memory_size = value

    @property
    def max_form_parts(self) -> int | None:  # type: ignore[override]
        if self._max_form_parts is not None:
            return self._max_form_parts
        top = _app_ctx_stack.top
        if top is None:
            return super().max_form_parts
        return top.app.config["MAX_FORM_PARTS"]  # type: ignore[no-any-return]

    @max_form_parts.setter
    def max_form_parts(self, value: int | None) -> None:
        self._max_form_parts = value

    def close(self) -> None:
        # Werkzeug's close walks ``files or ()`` through iter_multi_items (isinstance checks
        # against abstract classes); with no uploaded files there is nothing to close.
        if self.__dict__.get("files"):
            super().close()

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        # Outside debug mode the decoder's message stays private: a plain 400, as Flask.
        try:
            return super().on_json_loading_failed(e)
        except BadRequest as ebr:
            top = _app_ctx_stack.top
            if top is not None and top.app.debug:
                raise
            raise BadRequest() from ebr

    @cached_property
    def cookies(self) -> ImmutableMultiDict[str, str]:
        """Werkzeug's ``cookies``, reading the ``Cookie`` header straight from the environ.

        Werkzeug's ``headers.getlist("Cookie")`` title-cases every ``HTTP_*`` key of the
        environ to find it; ``cookie_header_values`` finds the same values in the same order.
        """
        headers = self.headers
        values = None
        if type(headers) is EnvironHeaders:
            values = cookie_header_values(headers.environ)
        if values is None:
            values = headers.getlist("Cookie")
        header = ";".join(values)
        # Werkzeug's own parser, always: its rules change between releases (3.1.9 drops
        # cookies with unquoted spaces), and the engine must read cookies as Flask does.
        return parse_cookie(header, cls=self.dict_storage_class)  # type: ignore[no-any-return]

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


class Response(ResponseFastPaths, _Response):
    """The response object; HTML by default, as in Flask."""

    default_mimetype = "text/html"
    autocorrect_location_header = False

    @property
    def max_cookie_size(self) -> int:  # type: ignore[override]
        top = _app_ctx_stack.top
        if top is not None:
            return top.app.config["MAX_COOKIE_SIZE"]  # type: ignore[no-any-return]
        return super().max_cookie_size
