"""engine.matcher_fast against Werkzeug's own matcher: same rules, same answers, same errors."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.routing import BaseConverter, Map, Rule, Subdomain, Submount, ValidationError
from werkzeug.routing.matcher import StateMachineMatcher

import engine
from engine.matcher_fast import FastMatcher, speed_up


class EvenConverter(BaseConverter):
    """Refuses odd numbers after the regex matched: the ValidationError path."""

    regex = r"\d+"
    calls: list[str] = []

    def to_python(self, value: str) -> int:
        EvenConverter.calls.append(value)
        if int(value) % 2:
            raise ValidationError()
        return int(value)


class PathLike(BaseConverter):
    """A converter that spans slashes without being final (part_isolating off)."""

    regex = r"[^/].*?"
    part_isolating = False


def _rules() -> list[Any]:
    return [
        Rule("/", endpoint="index"),
        Rule("/hello/<name>", endpoint="hello"),
        Rule("/hello/<name>/", endpoint="hello_slash"),
        Rule("/items/<int:item_id>", endpoint="item", methods=["GET", "PUT"]),
        Rule("/items/<int:item_id>", endpoint="item_delete", methods=["DELETE"]),
        Rule("/items/new", endpoint="item_new"),
        Rule("/f/<float:x>", endpoint="float"),
        Rule("/u/<uuid:uid>", endpoint="uuid"),
        Rule("/files/<path:rest>", endpoint="files"),
        Rule("/files/<path:rest>/edit", endpoint="files_edit"),
        Rule("/any/<any(a, b, c):which>", endpoint="any"),
        Rule("/even/<even:n>", endpoint="even"),
        Rule("/loose", endpoint="loose", strict_slashes=False),
        Rule("/strict/", endpoint="strict"),
        Rule("/ws", endpoint="ws", websocket=True),
        Rule("/page/", defaults={"n": 1}, endpoint="page"),
        Rule("/page/<int:n>", endpoint="page"),
        Rule("/old/<int:n>", endpoint="old", redirect_to="/page/<n>"),
        Rule("/multi/<a>-<b>/<int:c>", endpoint="multi"),
        Rule("/p/<pathlike:rest>/end", endpoint="pathlike"),
        Rule("/merge/a/b", endpoint="merge"),
        Rule("/nomerge/a/b", endpoint="nomerge", merge_slashes=False),
        Submount("/sub", [Rule("/<int:a>/<int:b>", endpoint="sub")]),
        Subdomain("api", [Rule("/v1/<name>", endpoint="api")]),
    ]


_maps: dict[tuple[Any, ...], Map] = {}


def _map(fast: bool, **kwargs: Any) -> Map:
    """The map for these options, built once (matching does not change it)."""
    key = (fast, *sorted(kwargs.items()))
    if key not in _maps:
        _maps[key] = _build_map(fast, **kwargs)
    return _maps[key]


def _build_map(fast: bool, **kwargs: Any) -> Map:
    url_map = Map(_rules(), converters={"even": EvenConverter, "pathlike": PathLike}, **kwargs)
    if fast:
        speed_up(url_map._matcher)
        assert type(url_map._matcher) is FastMatcher
    else:
        assert type(url_map._matcher) is StateMachineMatcher
    return url_map


def _outcome(url_map: Map, path: str, method: str, subdomain: str, scheme: str) -> Any:
    adapter = url_map.bind("example.com", subdomain=subdomain, url_scheme=scheme)
    EvenConverter.calls.clear()
    try:
        rule, values = adapter.match(path, method, return_rule=True)
        out: Any = ("ok", rule.endpoint, rule.rule, values)
    except Exception as e:  # the exception is what is compared
        out = (
            "raised",
            type(e).__name__,
            getattr(e, "new_url", None),
            sorted(getattr(e, "valid_methods", None) or []),
            str(e),
        )
    return out, list(EvenConverter.calls)


PATHS = [
    "/",
    "",
    "/hello/ann",
    "/hello/ann/",
    "/hello/",
    "/hello",
    "/items/3",
    "/items/x",
    "/items/new",
    "/items/-1",
    "/f/1.5",
    "/f/1",
    "/u/12345678-1234-5678-1234-567812345678",
    "/u/nope",
    "/files/a/b/c",
    "/files/a/b/edit",
    "/files/",
    "/any/b",
    "/any/d",
    "/even/4",
    "/even/3",
    "/loose",
    "/loose/",
    "/strict",
    "/strict/",
    "/ws",
    "/page/",
    "/page/7",
    "/page",
    "/old/5",
    "/multi/x-y/3",
    "/multi/x-y-z/3",
    "/p/a/b/c/end",
    "/p/a/end/",
    "/merge//a///b",
    "/nomerge//a/b",
    "//hello//ann",
    "/sub/1/2",
    "/sub/1/2/",
    "/v1/x",
    "/missing",
    "/hello/%20x",
    "/hello/caf\u00e9",
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE", "PUT", "OPTIONS"])
@pytest.mark.parametrize(("subdomain", "scheme"), [("", "http"), ("api", "http"), ("", "ws")])
def test_matcher_matches_werkzeug(path: str, method: str, subdomain: str, scheme: str) -> None:
    slow = _outcome(_map(False), path, method, subdomain, scheme)
    fast = _outcome(_map(True), path, method, subdomain, scheme)
    assert fast == slow


@pytest.mark.parametrize("options", [{"strict_slashes": False}, {"merge_slashes": False}])
@pytest.mark.parametrize("path", PATHS)
def test_matcher_map_options(options: dict[str, Any], path: str) -> None:
    assert _outcome(_map(True, **options), path, "GET", "", "http") == _outcome(
        _map(False, **options), path, "GET", "", "http"
    )


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["", "hello", "ann", "items", "3", "new", "files", "edit", "a", "b", "page", "x-y"]
        ),
        max_size=5,
    ),
    st.sampled_from(["GET", "POST", "DELETE"]),
)
def test_matcher_random_paths(segments: list[str], method: str) -> None:
    path = "/" + "/".join(segments)
    assert _outcome(_map(True), path, method, "", "http") == _outcome(
        _map(False), path, method, "", "http"
    )


def test_speed_up_leaves_other_matchers_alone() -> None:
    class Mine(StateMachineMatcher):
        pass

    matcher = Mine(merge_slashes=True)
    speed_up(matcher)
    assert type(matcher) is Mine


def test_engine_app_uses_fast_matcher() -> None:
    app = engine.App("m")
    assert type(app.url_map._matcher) is FastMatcher
