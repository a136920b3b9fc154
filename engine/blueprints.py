"""Blueprints: groups of routes and hooks registered on an app later, possibly nested."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .scaffold import F, Scaffold, endpoint_from_view_func

if TYPE_CHECKING:
    from .app import App

__all__ = ["Blueprint", "BlueprintSetupState"]


class BlueprintSetupState:
    """What one registration of a blueprint on an app knows: prefixes and options."""

    def __init__(self, blueprint: Blueprint, app: App, options: dict[str, Any]) -> None:
        self.app = app  # the app being set up
        self.blueprint = blueprint  # the blueprint registering
        self.options = options  # register_blueprint keyword arguments
        url_prefix = options.get("url_prefix")
        self.url_prefix = blueprint.url_prefix if url_prefix is None else url_prefix
        self.subdomain = options.get("subdomain", blueprint.subdomain)  # for every rule
        self.name = options.get("name", blueprint.name)  # may be renamed at registration
        self.name_prefix = options.get("name_prefix", "")  # parents' dotted name
        self.url_defaults = dict(blueprint.url_values_defaults)  # defaults for every rule
        self.url_defaults.update(options.get("url_defaults", ()))

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        **options: Any,
    ) -> None:
        if self.url_prefix is not None:
            rule = (
                "/".join((self.url_prefix.rstrip("/"), rule.lstrip("/")))
                if rule
                else (self.url_prefix)
            )
        options.setdefault("subdomain", self.subdomain)
        if endpoint is None:
            endpoint = endpoint_from_view_func(view_func)
        defaults = self.url_defaults
        if "defaults" in options:
            defaults = dict(defaults, **options.pop("defaults"))
        self.app.add_url_rule(
            rule,
            f"{self.name_prefix}.{self.name}.{endpoint}".lstrip("."),
            view_func,
            defaults=defaults,
            **options,
        )


class Blueprint(Scaffold):
    """A set of routes and hooks with a name (its endpoints become ``name.endpoint``)."""

    def __init__(
        self,
        name: str,
        import_name: str,
        url_prefix: str | None = None,
        subdomain: str | None = None,
        url_defaults: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(import_name)
        if not name:
            raise ValueError("'name' may not be empty.")
        if "." in name:
            raise ValueError("'name' may not contain a dot '.' character.")
        self.name = name  # endpoint prefix
        self.url_prefix = url_prefix  # prepended to every rule
        self.subdomain = subdomain  # subdomain of every rule
        self.url_values_defaults = url_defaults or {}  # defaults of every rule
        self.deferred_functions: list[Callable[[BlueprintSetupState], None]] = []  # on register
        self._blueprints: list[tuple[Blueprint, dict[str, Any]]] = []  # nested blueprints
        self._got_registered_once = False  # registration freezes nothing here, kept for parity

    def record(self, func: Callable[[BlueprintSetupState], None]) -> None:
        self.deferred_functions.append(func)

    def record_once(self, func: Callable[[BlueprintSetupState], None]) -> None:
        def wrapper(state: BlueprintSetupState) -> None:
            if state.options.get("first_registration", True):
                func(state)

        self.record(wrapper)

    def register_blueprint(self, blueprint: Blueprint, **options: Any) -> None:
        if blueprint is self:
            raise ValueError("Cannot register a blueprint on itself")
        self._blueprints.append((blueprint, options))

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        if endpoint and "." in endpoint:
            raise ValueError("'endpoint' may not contain a dot '.' character.")
        if view_func and hasattr(view_func, "__name__") and "." in view_func.__name__:
            raise ValueError("'view_func' name may not contain a dot '.' character.")
        self.record(
            lambda s: s.add_url_rule(
                rule,
                endpoint,
                view_func,
                provide_automatic_options=provide_automatic_options,
                **options,
            )
        )

    def before_app_request(self, f: F) -> F:
        self.record_once(lambda s: s.app.before_request_funcs[None].append(f))
        return f

    def after_app_request(self, f: F) -> F:
        self.record_once(lambda s: s.app.after_request_funcs[None].append(f))
        return f

    def teardown_app_request(self, f: F) -> F:
        self.record_once(lambda s: s.app.teardown_request_funcs[None].append(f))
        return f

    def app_errorhandler(self, code: type[BaseException] | int) -> Callable[[F], F]:
        def decorator(f: F) -> F:
            self.record_once(lambda s: s.app.errorhandler(code)(f))
            return f

        return decorator

    def register(self, app: App, options: dict[str, Any]) -> None:
        """Merge this blueprint (and its nested ones) into ``app``."""
        name_prefix = options.get("name_prefix", "")
        self_name = options.get("name", self.name)
        name = f"{name_prefix}.{self_name}".lstrip(".")
        if name in app.blueprints:
            bp_desc = "this" if app.blueprints[name] is self else "a different"
            existing_at = f" '{name}'" if self_name != name else ""
            raise ValueError(
                f"The name '{self_name}' is already registered for"
                f" {bp_desc} blueprint{existing_at}. Use 'name=' to"
                " provide a unique name."
            )
        first_bp_registration = not any(bp is self for bp in app.blueprints.values())
        app.blueprints[name] = self
        self._got_registered_once = True
        state = BlueprintSetupState(
            self, app, {**options, "first_registration": first_bp_registration}
        )
        self._merge_blueprint_funcs(app, name)
        for deferred in self.deferred_functions:
            deferred(state)

        for blueprint, bp_options in self._blueprints:
            bp_options = bp_options.copy()
            bp_url_prefix = bp_options.get("url_prefix")
            if bp_url_prefix is None:
                bp_url_prefix = blueprint.url_prefix
            if state.url_prefix is not None and bp_url_prefix is not None:
                bp_options["url_prefix"] = (
                    state.url_prefix.rstrip("/") + "/" + bp_url_prefix.lstrip("/")
                )
            elif bp_url_prefix is not None:
                bp_options["url_prefix"] = bp_url_prefix
            elif state.url_prefix is not None:
                bp_options["url_prefix"] = state.url_prefix
            bp_options["name_prefix"] = name
            blueprint.register(app, bp_options)

    def _merge_blueprint_funcs(self, app: App, name: str) -> None:
        def extend(
            bp_dict: dict[str | None, list[Callable[..., Any]]],
            parent_dict: dict[str | None, list[Callable[..., Any]]],
        ) -> None:
            for key, values in bp_dict.items():
                full = name if key is None else f"{name}.{key}"
                parent_dict[full].extend(values)

        for key, value in self.error_handler_spec.items():
            full = name if key is None else f"{name}.{key}"
            app.error_handler_spec[full] = defaultdict(
                dict, {code: dict(handlers) for code, handlers in value.items()}
            )
        for endpoint, func in self.view_functions.items():
            app.view_functions[endpoint] = func
        extend(self.before_request_funcs, app.before_request_funcs)
        extend(self.after_request_funcs, app.after_request_funcs)
        extend(self.teardown_request_funcs, app.teardown_request_funcs)
        extend(self.url_default_functions, app.url_default_functions)
        extend(self.url_value_preprocessors, app.url_value_preprocessors)
