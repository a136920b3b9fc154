"""What App and Blueprint share: registering routes, hooks and error handlers.

Hooks are kept in dicts keyed by blueprint name (None for the app's own), as Flask keeps them;
a blueprint's dicts are merged into the app's under its dotted name when it is registered.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from werkzeug.exceptions import HTTPException, default_exceptions

__all__ = ["Scaffold", "endpoint_from_view_func"]

F = TypeVar("F", bound=Callable[..., Any])
HandlerSpec = dict[str | None, dict[int | None, dict[type[BaseException], Callable[..., Any]]]]


def endpoint_from_view_func(view_func: Callable[..., Any] | None) -> str:
    assert view_func is not None, "expected view func if endpoint is not provided."
    return view_func.__name__


def _handler_spec() -> HandlerSpec:
    return defaultdict(lambda: defaultdict(dict))


class Scaffold:
    """Registration API common to the app and blueprints."""

    name: str

    def __init__(self, import_name: str) -> None:
        self.import_name = import_name  # module name, used for the app's name
        self.view_functions: dict[str, Callable[..., Any]] = {}  # endpoint -> view
        self.error_handler_spec: HandlerSpec = _handler_spec()  # name -> code -> class -> f
        self.before_request_funcs: dict[str | None, list[Callable[..., Any]]] = defaultdict(list)
        self.after_request_funcs: dict[str | None, list[Callable[..., Any]]] = defaultdict(list)
        self.teardown_request_funcs: dict[str | None, list[Callable[..., Any]]] = defaultdict(list)
        self.url_value_preprocessors: dict[str | None, list[Callable[..., Any]]] = defaultdict(list)
        self.url_default_functions: dict[str | None, list[Callable[..., Any]]] = defaultdict(list)

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        raise NotImplementedError

    def route(self, rule: str, **options: Any) -> Callable[[F], F]:
        """Register the decorated function as the view for ``rule``."""

        def decorator(f: F) -> F:
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(rule, endpoint, f, **options)
            return f

        return decorator

    def _method_route(self, method: str, rule: str, options: dict[str, Any]) -> Callable[[F], F]:
        if "methods" in options:
            raise TypeError("Use the 'route' decorator to use the 'methods' argument.")
        return self.route(rule, methods=[method], **options)

    def get(self, rule: str, **options: Any) -> Callable[[F], F]:
        return self._method_route("GET", rule, options)

    def post(self, rule: str, **options: Any) -> Callable[[F], F]:
        return self._method_route("POST", rule, options)

    def put(self, rule: str, **options: Any) -> Callable[[F], F]:
        return self._method_route("PUT", rule, options)

    def delete(self, rule: str, **options: Any) -> Callable[[F], F]:
        return self._method_route("DELETE", rule, options)

    def patch(self, rule: str, **options: Any) -> Callable[[F], F]:
        return self._method_route("PATCH", rule, options)

    def websocket(self, rule: str, **options: Any) -> Callable[[F], F]:
        """Register the decorated function as the WebSocket handler for ``rule``.

        The handler is called with one argument, the connection, inside a request context
        built from the handshake request (see ``engine.ws``).
        """

        def decorator(f: F) -> F:
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(
                rule,
                endpoint,
                f,
                websocket=True,
                methods=["GET"],
                provide_automatic_options=False,
                **options,
            )
            return f

        return decorator

    def endpoint(self, endpoint: str) -> Callable[[F], F]:
        def decorator(f: F) -> F:
            self.view_functions[endpoint] = f
            return f

        return decorator

    def before_request(self, f: F) -> F:
        """Run ``f()`` before each request; a non-None return value is the response."""
        self.before_request_funcs[None].append(f)
        return f

    def after_request(self, f: F) -> F:
        """Run ``f(response)`` after each request; it returns the response to send."""
        self.after_request_funcs[None].append(f)
        return f

    def teardown_request(self, f: F) -> F:
        """Run ``f(error)`` when the request context is popped, even after an error."""
        self.teardown_request_funcs[None].append(f)
        return f

    def url_value_preprocessor(self, f: F) -> F:
        """Run ``f(endpoint, view_args)`` before the before_request functions."""
        self.url_value_preprocessors[None].append(f)
        return f

    def url_defaults(self, f: F) -> F:
        """Run ``f(endpoint, values)`` when building URLs, to fill in defaults."""
        self.url_default_functions[None].append(f)
        return f

    def errorhandler(self, code_or_exception: type[BaseException] | int) -> Callable[[F], F]:
        """Handle an HTTP error code or an exception class (and its subclasses)."""

        def decorator(f: F) -> F:
            self.register_error_handler(code_or_exception, f)
            return f

        return decorator

    def register_error_handler(
        self, code_or_exception: type[BaseException] | int, f: Callable[..., Any]
    ) -> None:
        exc_class, code = self._get_exc_class_and_code(code_or_exception)
        self.error_handler_spec[None][code][exc_class] = f

    @staticmethod
    def _get_exc_class_and_code(
        exc_class_or_code: type[BaseException] | int,
    ) -> tuple[type[BaseException], int | None]:
        exc_class: type[BaseException]
        if isinstance(exc_class_or_code, int):
            try:
                exc_class = default_exceptions[exc_class_or_code]
            except KeyError:
                raise ValueError(
                    f"'{exc_class_or_code}' is not a recognized HTTP"
                    " error code. Use a subclass of HTTPException with"
                    " that code instead."
                ) from None
        else:
            exc_class = exc_class_or_code
        if isinstance(exc_class, Exception):
            raise TypeError(
                f"{exc_class!r} is an instance, not a class. Handlers"
                " can only be registered for Exception classes or HTTP"
                " error codes."
            )
        if not issubclass(exc_class, Exception):
            raise ValueError(
                f"'{exc_class.__name__}' is not a subclass of Exception."
                " Handlers can only be registered for Exception classes"
                " or HTTP error codes."
            )
        if issubclass(exc_class, HTTPException):
            return exc_class, exc_class.code
        return exc_class, None
