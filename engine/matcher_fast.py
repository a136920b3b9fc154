"""Werkzeug's URL matcher, the same search without its per-call overhead.

``StateMachineMatcher.match`` (Werkzeug 3.1, ``routing/matcher.py``) builds a closure per call,
copies the remaining path segments at every step, looks every dynamic part's regex up through
``re.compile`` and sorts each match's ``groupdict``. :class:`FastMatcher` walks the same state
machine in the same order with segment indexes, regexes compiled once per pattern (a property
of the rules, fixed per app) and the converter group names pre-sorted. Whenever the search does
not end in a plain match (a trailing-slash redirect, no match, the merge-slashes retry) it
hands the whole call to Werkzeug's own ``match``, which has no side effects up to that point;
a found rule's values go through its converters exactly as Werkzeug's code does.

:func:`speed_up` switches a map's matcher to this class in place; it changes nothing else.
"""

from __future__ import annotations

import re
from typing import Any

from werkzeug.routing.converters import ValidationError
from werkzeug.routing.exceptions import NoMatch, RequestAliasRedirect
from werkzeug.routing.matcher import SlashRequired, State, StateMachineMatcher

__all__ = ["FastMatcher", "speed_up"]

# A dynamic part's regex source -> (its pattern, its "__werkzeug_" groups in sorted order).
_patterns: dict[str, tuple[re.Pattern[str], tuple[str, ...]]] = {}
_TRAILING_SLASH = [""]  # what a suffixed part leaves when its match ends in "/"


def _pattern(content: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    try:
        return _patterns[content]
    except KeyError:
        pass
    pattern = re.compile(content)
    # sorted(match.groupdict().items()) then filtered on the name: the same names, same order
    names = tuple(sorted(k for k in pattern.groupindex if k[:11] == "__werkzeug_"))
    if len(_patterns) > 4096:
        _patterns.clear()
    _patterns[content] = pattern, names
    return pattern, names


class _Search:
    """One call's search state: what Werkzeug's closure keeps in its nonlocals."""

    __slots__ = ("have_match_for", "method", "websocket", "websocket_mismatch")

    def __init__(self, method: str, websocket: bool) -> None:
        self.method = method
        self.websocket = websocket
        self.have_match_for: set[str] = set()
        self.websocket_mismatch = False

    def match(
        self, state: State, parts: list[str], start: int, values: list[str]
    ) -> tuple[Any, list[str]] | None:
        """``_match(state, parts[start:], values)``."""
        method = self.method
        websocket = self.websocket
        left = len(parts) - start
        if left == 0:
            for rule in state.rules:
                if rule.methods is not None and method not in rule.methods:
                    self.have_match_for.update(rule.methods)
                elif rule.websocket != websocket:
                    self.websocket_mismatch = True
                else:
                    return rule, values
            if "" in state.static:
                for rule in state.static[""].rules:
                    if websocket == rule.websocket and (
                        rule.methods is None or method in rule.methods
                    ):
                        if rule.strict_slashes:
                            raise SlashRequired()
                        return rule, values
            return None

        part = parts[start]
        static = state.static
        if part in static:
            rv = self.match(static[part], parts, start + 1, values)
            if rv is not None:
                return rv
        for test_part, new_state in state.dynamic:
            if test_part.final:
                target = "/".join(parts[start:])
                rest, rest_start = _TRAILING_SLASH, 1  # empty: nothing remains
            else:
                target = part
                rest, rest_start = parts, start + 1
            pattern, names = _pattern(test_part.content)
            found = pattern.match(target)
            if found is not None:
                if test_part.suffixed and found.groups()[-1] == "/":
                    rest, rest_start = _TRAILING_SLASH, 0
                if not names:
                    groups: list[Any] = []
                elif len(names) == 1:
                    groups = [found.group(names[0])]
                else:
                    groups = list(found.group(*names))
                rv = self.match(new_state, rest, rest_start, values + groups)
                if rv is not None:
                    return rv

        if left == 1 and part == "":
            for rule in state.rules:
                if rule.strict_slashes:
                    continue
                if rule.methods is not None and method not in rule.methods:
                    self.have_match_for.update(rule.methods)
                elif rule.websocket != websocket:
                    self.websocket_mismatch = True
                else:
                    return rule, values
        return None


class FastMatcher(StateMachineMatcher):
    """``StateMachineMatcher`` with a cheaper ``match``; the same state, the same answers."""

    def match(self, domain: str, path: str, method: str, websocket: bool) -> tuple[Any, Any]:
        search = _Search(method, websocket)
        try:
            rv = search.match(self._root, [domain, *path.split("/")], 0, [])
        except SlashRequired:
            rv = None
        if rv is None:
            # A redirect, a retry with merged slashes or no match: Werkzeug decides (nothing
            # has been called that a second search could repeat).
            return super().match(domain, path, method, websocket)
        rule, values = rv
        result = {}
        for name, value in zip(rule._converters.keys(), values, strict=False):
            try:
                value = rule._converters[name].to_python(value)
            except ValidationError:
                raise NoMatch(search.have_match_for, search.websocket_mismatch) from None
            result[str(name)] = value
        if rule.defaults:
            result.update(rule.defaults)
        if rule.alias and rule.map.redirect_defaults:
            raise RequestAliasRedirect(result, rule.endpoint)
        return rule, result


def speed_up(matcher: Any) -> None:
    """Give a Werkzeug ``StateMachineMatcher`` (exactly that class) the faster ``match``."""
    if matcher.__class__ is StateMachineMatcher:
        matcher.__class__ = FastMatcher
