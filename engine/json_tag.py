"""Tagged JSON: lossless JSON for the session's non-JSON types, byte-compatible with Flask.

A faithful equivalent of Flask 3.1's ``flask/json/tag.py`` (Copyright 2010 Pallets, BSD-3-Clause
licence), so that a session cookie written by ctxscope is read by Flask and the other way round.
A tagged value is a one-key dict whose key names the type: ``" t"`` tuple, ``" b"`` bytes,
``" m"`` Markup, ``" u"`` UUID, ``" d"`` datetime and ``" di"`` for a plain one-key dict whose
only key happens to be a tag itself (its key gets a ``__`` suffix so it is not mistaken for one).

Flask's ``dumps`` goes through ``current_app.json`` when an app context is pushed (which is
always the case when a session is saved): ``DefaultJSONProvider`` adds ``sort_keys=True`` and
``ensure_ascii=True`` and converts leftovers (``date``, ``Decimal``, dataclasses, ...) through
its ``default`` hook. Those are the settings used here, so the output is byte-identical to what
a Flask app with the default JSON provider puts into its cookies.
"""

from __future__ import annotations

import dataclasses
import decimal
import json
import uuid
from base64 import b64decode, b64encode
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from werkzeug.http import http_date, parse_date

from .jsonprovider import JSONProvider

if TYPE_CHECKING:
    from .local import LocalStack

__all__ = [
    "JSONTag",
    "PassDict",
    "PassList",
    "TagBytes",
    "TagDateTime",
    "TagDict",
    "TagMarkup",
    "TagTuple",
    "TagUUID",
    "TaggedJSONSerializer",
    "json_default",
    "session_json_serializer",
]


def json_default(o: Any) -> Any:
    """Flask's ``DefaultJSONProvider.default``: JSON for what ``json`` cannot write itself."""
    if isinstance(o, date):
        return http_date(o)
    if isinstance(o, (decimal.Decimal, uuid.UUID)):
        return str(o)
    if dataclasses.is_dataclass(o):
        return dataclasses.asdict(o)  # type: ignore[arg-type]
    if hasattr(o, "__html__"):
        return str(o.__html__())
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


class JSONTag:
    """One type the serializer knows: how to recognise it, write it and read it back."""

    __slots__ = ("serializer",)

    key: str = ""
    """The tag marking a serialized value; empty for a pass-through step (plain dict/list)."""

    def __init__(self, serializer: TaggedJSONSerializer) -> None:
        self.serializer = serializer  # to tag nested values with the same tag set

    def check(self, value: Any) -> bool:
        """Whether ``value`` is handled by this tag."""
        raise NotImplementedError

    def to_json(self, value: Any) -> Any:
        """The JSON-typed form of ``value``; the tag is wrapped around it by ``tag``."""
        raise NotImplementedError

    def to_python(self, value: Any) -> Any:
        """The Python value back from its JSON form (tag already removed)."""
        raise NotImplementedError

    def tag(self, value: Any) -> Any:
        return {self.key: self.to_json(value)}


class TagDict(JSONTag):
    """A one-key dict whose key is a registered tag: the key is written with a ``__`` suffix."""

    __slots__ = ()
    key = " di"

    def check(self, value: Any) -> bool:
        return (
            isinstance(value, dict)
            and len(value) == 1
            and next(iter(value)) in self.serializer.tags
        )

    def to_json(self, value: Any) -> Any:
        key = next(iter(value))
        return {f"{key}__": self.serializer.tag(value[key])}

    def to_python(self, value: Any) -> Any:
        key = next(iter(value))
        return {key[:-2]: value[key]}


class PassDict(JSONTag):
    """Any other dict: keys are JSON strings already, only the values are tagged."""

    __slots__ = ()

    def check(self, value: Any) -> bool:
        return isinstance(value, dict)

    def to_json(self, value: Any) -> Any:
        return {k: self.serializer.tag(v) for k, v in value.items()}

    tag = to_json


class TagTuple(JSONTag):
    __slots__ = ()
    key = " t"

    def check(self, value: Any) -> bool:
        return isinstance(value, tuple)

    def to_json(self, value: Any) -> Any:
        return [self.serializer.tag(item) for item in value]

    def to_python(self, value: Any) -> Any:
        return tuple(value)


class PassList(JSONTag):
    __slots__ = ()

    def check(self, value: Any) -> bool:
        return isinstance(value, list)

    def to_json(self, value: Any) -> Any:
        return [self.serializer.tag(item) for item in value]

    tag = to_json


class TagBytes(JSONTag):
    """Bytes as standard (not URL-safe) base64 with padding, as Flask writes them."""

    __slots__ = ()
    key = " b"

    def check(self, value: Any) -> bool:
        return isinstance(value, bytes)

    def to_json(self, value: Any) -> Any:
        return b64encode(value).decode("ascii")

    def to_python(self, value: Any) -> Any:
        return b64decode(value)


class TagMarkup(JSONTag):
    """Anything with an ``__html__`` method; always read back as ``Markup``."""

    __slots__ = ()
    key = " m"

    def check(self, value: Any) -> bool:
        return callable(getattr(value, "__html__", None))

    def to_json(self, value: Any) -> Any:
        return str(value.__html__())

    def to_python(self, value: Any) -> Any:
        return Markup(value)


class TagUUID(JSONTag):
    __slots__ = ()
    key = " u"

    def check(self, value: Any) -> bool:
        return isinstance(value, uuid.UUID)

    def to_json(self, value: Any) -> Any:
        return value.hex

    def to_python(self, value: Any) -> Any:
        return uuid.UUID(value)


class TagDateTime(JSONTag):
    """A datetime as an HTTP date (RFC 9110 §5.6.7, second precision); read back aware UTC."""

    __slots__ = ()
    key = " d"

    def check(self, value: Any) -> bool:
        return isinstance(value, datetime)

    def to_json(self, value: Any) -> Any:
        return http_date(value)

    def to_python(self, value: Any) -> Any:
        return parse_date(value)


# Values no default tag claims, by exact type (``Markup`` is a str subclass, ``IntEnum`` an int
# one: subclasses go through the tags). Tagging returns them as they are.
_PLAIN: frozenset[type] = frozenset({str, int, float, bool, type(None)})
_COMPACT = (",", ":")
_app_ctx_stack: LocalStack[Any] | None = None  # engine.globals', imported on first use


class TaggedJSONSerializer:
    """Compact, sorted, ASCII JSON with tagged types; the session cookie's serializer."""

    __slots__ = ("_default_order", "_encoder", "order", "tags")

    default_tags: list[type[JSONTag]] = [
        TagDict,
        PassDict,
        TagTuple,
        PassList,
        TagBytes,
        TagMarkup,
        TagUUID,
        TagDateTime,
    ]
    """Bound at construction; the order matters (a one-key tag-named dict before any dict)."""

    def __init__(self) -> None:
        self.tags: dict[str, JSONTag] = {}  # tag key -> tag, for untagging
        self.order: list[JSONTag] = []  # tags tried in turn when tagging
        for cls in self.default_tags:
            self.register(cls)
        # The tag order as built, if it is Flask's: while ``order`` still equals it, the
        # session's plain values can skip the tag checks (none of Flask's tags claims them).
        # ``register`` or any edit of ``order`` makes them differ, and every value is checked.
        self._default_order: list[JSONTag] | None = (
            list(self.order) if [type(t) for t in self.order] == _FLASK_TAGS else None
        )
        # (default, ensure_ascii, sort_keys, encoder) of the last dumps: json.dumps builds
        # a JSONEncoder per call, for settings that hardly ever change.
        self._encoder: tuple[Any, Any, Any, json.JSONEncoder] | None = None

    def register(
        self, tag_class: type[JSONTag], force: bool = False, index: int | None = None
    ) -> None:
        """Add a tag; ``KeyError`` if its key is taken and not ``force``; ``index`` in the order."""
        tag = tag_class(self)
        key = tag.key
        if key:
            if not force and key in self.tags:
                raise KeyError(f"Tag '{key}' is already registered.")
            self.tags[key] = tag
        if index is None:
            self.order.append(tag)
        else:
            self.order.insert(index, tag)

    def tag(self, value: Any) -> Any:
        """``value`` in its tagged JSON-typed form."""
        for tag in self.order:
            if tag.check(value):
                return tag.tag(value)
        return value

    def untag(self, value: dict[str, Any]) -> Any:
        """The Python value of one tagged dict; any other dict is returned as it is."""
        if len(value) != 1:
            return value
        key = next(iter(value))
        if key not in self.tags:
            return value
        return self.tags[key].to_python(value[key])

    def _untag_scan(self, value: Any) -> Any:
        if isinstance(value, dict):
            # Inside out: the items first, then the dict itself may be a tag.
            value = {k: self._untag_scan(v) for k, v in value.items()}
            value = self.untag(value)
        elif isinstance(value, list):
            value = [self._untag_scan(item) for item in value]
        return value

    def _tag_top(self, value: Any) -> Any:
        """``self.tag(value)``, with a session dict's plain values passed through unchecked.

        Same result as ``tag`` whenever the fast way is taken: Flask's tags in Flask's order,
        ``tag`` not overridden, an exact dict that is not a one-key tag-named dict. Nested
        containers still go through ``tag``, so deep nesting recurses as it always did.
        """
        try:
            default_order = self._default_order
        except AttributeError:  # a subclass that builds its tags without our __init__
            default_order = None
        if (
            type(value) is not dict
            or self.order != default_order
            or getattr(self.tag, "__func__", None) is not _BASE_TAG  # overridden
            or (len(value) == 1 and next(iter(value)) in self.tags)  # TagDict's case
        ):
            return self.tag(value)
        plain = _PLAIN
        tag = self.tag
        out = {}
        for k, v in value.items():  # PassDict.to_json
            out[k] = v if type(v) in plain else tag(v)
        return out

    def _encoder_for(self, default: Any, ensure_ascii: Any, sort_keys: Any) -> json.JSONEncoder:
        try:
            cached = self._encoder
        except AttributeError:  # a subclass that builds its tags without our __init__
            cached = None
        if (
            cached is not None
            and cached[0] is default
            and cached[1] is ensure_ascii
            and cached[2] is sort_keys
        ):
            return cached[3]
        # Exactly the encoder json.dumps(obj, separators=..., default=..., ensure_ascii=...,
        # sort_keys=...) builds; it keeps no state between encode() calls.
        encoder = json.JSONEncoder(
            separators=_COMPACT, default=default, ensure_ascii=ensure_ascii, sort_keys=sort_keys
        )
        self._encoder = (default, ensure_ascii, sort_keys, encoder)
        return encoder

    def dumps(self, value: Any) -> str:
        """Tag ``value`` and write it as compact JSON, exactly as Flask does in an app.

        Inside an app context the app's JSON provider writes it (so an app that turns off
        ``app.json.sort_keys`` gets the same cookie as under Flask); outside one, the default
        provider's settings are used, which is what a default Flask app would write.
        """
        global _app_ctx_stack
        if _app_ctx_stack is None:
            # Imported late: engine.globals pulls in the event machinery, which tools that
            # only decode cookies (engine.cookies) do not need.
            from .globals import _app_ctx_stack

        tagged = self._tag_top(value)
        top = _app_ctx_stack.top
        if top is not None:
            provider = getattr(top.app, "json", None)
            if provider is not None:
                if (
                    type(provider) is JSONProvider
                    and JSONProvider.dumps is _PROVIDER_DUMPS
                    and "dumps" not in provider.__dict__
                ):
                    # JSONProvider.dumps is json.dumps with these three settings filled in.
                    encoder = self._encoder_for(
                        provider.default, provider.ensure_ascii, provider.sort_keys
                    )
                    return encoder.encode(tagged)
                return provider.dumps(tagged, separators=_COMPACT)  # type: ignore[no-any-return]
        return self._encoder_for(json_default, True, True).encode(tagged)

    def loads(self, value: str | bytes) -> Any:
        """Read JSON text (or UTF-8 bytes) and turn every tagged value back into its type."""
        data = json.loads(value)
        if type(data) is dict and getattr(self._untag_scan, "__func__", None) is _BASE_UNTAG_SCAN:
            # A session whose values are all scalars: _untag_scan would copy the dict and
            # leave every value alone, so only the dict itself can be a tag.
            for v in data.values():
                if type(v) is dict or type(v) is list:
                    break
            else:
                return self.untag(data)
        return self._untag_scan(data)


_FLASK_TAGS: list[type[JSONTag]] = list(TaggedJSONSerializer.default_tags)
_BASE_TAG = TaggedJSONSerializer.tag
_BASE_UNTAG_SCAN = TaggedJSONSerializer._untag_scan
_PROVIDER_DUMPS = JSONProvider.dumps

session_json_serializer = TaggedJSONSerializer()
"""The shared instance the session interface uses (as ``flask.sessions`` does)."""
