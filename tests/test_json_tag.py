"""engine.json_tag against the real flask.json.tag: same bytes out, same values back."""

from __future__ import annotations

import dataclasses
import decimal
import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import flask
import pytest
from flask.json.tag import TaggedJSONSerializer as FlaskSerializer
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from engine.json_tag import JSONTag, TaggedJSONSerializer, session_json_serializer

_APP = flask.Flask("json_tag_tests")
_FLASK = FlaskSerializer()


def flask_dumps(value: object) -> str:
    # The session is always saved inside an app context, where app.json sorts keys.
    with _APP.app_context():
        return _FLASK.dumps(value)


def flask_loads(text: str) -> object:
    with _APP.app_context():
        return _FLASK.loads(text)


def typed(value: object) -> object:
    """A structure that compares equal only if types match too (Markup == str otherwise)."""
    if isinstance(value, dict):
        return ("dict", sorted((k, typed(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [typed(v) for v in value])
    if isinstance(value, datetime):
        return ("datetime", value.isoformat())
    if isinstance(value, float) and value != value:
        return ("float", "nan")
    return (type(value).__name__, repr(value))


TAG_KEYS = [" t", " b", " m", " u", " d", " di"]

_text = st.text(max_size=12)
_keys = st.one_of(_text, st.sampled_from(TAG_KEYS), st.sampled_from([k + "__" for k in TAG_KEYS]))
_aware = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(9000, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))

lossless_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    _text,
    st.binary(max_size=16),
    _text.map(Markup),
    st.uuids(),
    _aware,
)


def _containers(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(_keys, children, max_size=4),
        # the " di" case: exactly one key that is a tag name
        st.builds(lambda k, v: {k: v}, st.sampled_from(TAG_KEYS), children),
    )


lossless = st.recursive(lossless_scalars, _containers, max_leaves=12)

# Values that do not survive a round trip but must still be written byte for byte like Flask:
# naive and non-UTC datetimes, microseconds, dates, Decimals, NaN.
lossy_scalars = st.one_of(
    lossless_scalars,
    st.floats(),
    st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(9000, 1, 1)),
    st.datetimes(
        min_value=datetime(1900, 1, 2),
        max_value=datetime(9000, 1, 1),
        timezones=st.builds(
            timezone, st.integers(-14 * 60, 14 * 60).map(lambda m: timedelta(minutes=m))
        ),
    ),
    st.dates(min_value=date(1900, 1, 1)),
    st.decimals(allow_nan=False),
)
anything = st.recursive(lossy_scalars, _containers, max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(lossless)
def test_round_trip(value: object) -> None:
    text = session_json_serializer.dumps(value)
    assert typed(session_json_serializer.loads(text)) == typed(value)


@settings(max_examples=150, deadline=None)
@given(anything)
def test_dumps_is_byte_identical_to_flask(value: object) -> None:
    assert session_json_serializer.dumps(value) == flask_dumps(value)


@settings(max_examples=150, deadline=None)
@given(anything)
def test_loads_matches_flask(value: object) -> None:
    text = flask_dumps(value)
    assert typed(session_json_serializer.loads(text)) == typed(flask_loads(text))


_json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), _text)
_raw_json = st.recursive(
    _json_leaf,
    lambda c: st.one_of(st.lists(c, max_size=3), st.dictionaries(_keys, c, max_size=3)),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(_raw_json)
def test_loads_of_arbitrary_tagged_json_behaves_like_flask(doc: object) -> None:
    # Hand-written tags with wrong inner types: both must fail the same way or agree.
    text = json.dumps(doc)
    try:
        expected = ("ok", typed(flask_loads(text)))
    except Exception as exc:
        expected = ("error", type(exc).__name__)
    try:
        got = ("ok", typed(session_json_serializer.loads(text)))
    except Exception as exc:
        got = ("error", type(exc).__name__)
    assert got == expected


def test_known_forms() -> None:
    u = uuid.UUID("12345678-1234-5678-1234-567812345678")
    value = {
        "z": (1, "a"),
        "b": b"\x00\xff",
        "m": Markup("<b>x</b>"),
        "u": u,
        "d": datetime(2024, 2, 29, 12, 30, 5),
        "di": {" t": [1]},
        "é": "ü",
    }
    text = session_json_serializer.dumps(value)
    assert text == (
        '{"b":{" b":"AP8="},"d":{" d":"Thu, 29 Feb 2024 12:30:05 GMT"},'
        '"di":{" di":{" t__":[1]}},"m":{" m":"<b>x</b>"},'
        '"u":{" u":"12345678123456781234567812345678"},"z":{" t":[1,"a"]},"\\u00e9":"\\u00fc"}'
    )
    assert text == flask_dumps(value)
    back = session_json_serializer.loads(text)
    assert back["d"] == datetime(2024, 2, 29, 12, 30, 5, tzinfo=UTC)
    assert back["d"].tzinfo is not None
    assert back["di"] == {" t": [1]} and isinstance(back["di"][" t"], list)
    assert back["z"] == (1, "a") and isinstance(back["m"], Markup)


def test_json_default_leftovers_like_flask() -> None:
    @dataclasses.dataclass
    class Point:
        x: int
        y: tuple

    value = {"p": Point(1, (2,)), "d": date(2020, 1, 2), "n": decimal.Decimal("1.10")}
    assert session_json_serializer.dumps(value) == flask_dumps(value)
    with pytest.raises(TypeError):
        session_json_serializer.dumps({"x": object()})


def test_register_custom_tag_and_duplicate_key() -> None:
    class TagSet(JSONTag):
        __slots__ = ()
        key = " s"

        def check(self, value: object) -> bool:
            return isinstance(value, (set, frozenset))

        def to_json(self, value: object) -> object:
            return sorted(self.serializer.tag(v) for v in value)  # type: ignore[attr-defined]

        def to_python(self, value: object) -> object:
            return set(value)  # type: ignore[call-overload]

    ser = TaggedJSONSerializer()
    ser.register(TagSet, index=0)
    assert ser.loads(ser.dumps({"s": {3, 1}})) == {"s": {1, 3}}
    with pytest.raises(KeyError):
        ser.register(TagSet)
    ser.register(TagSet, force=True)
    # the module-level instance is unaffected
    assert " s" not in session_json_serializer.tags
