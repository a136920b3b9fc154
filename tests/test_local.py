"""Local, LocalStack and LocalProxy: the classic context-local design, with real threads."""

from __future__ import annotations

import asyncio
import operator
import threading
import time
from typing import Any

import pytest

from engine.local import Local, LocalProxy, LocalStack, live_locals, release_local


def _in_thread(func: Any) -> Any:
    """Run ``func`` in a fresh thread and return its result (re-raising its error)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = func()
        except BaseException as e:
            box["error"] = e

    t = threading.Thread(target=run)
    t.start()
    t.join(10)
    if "error" in box:
        raise box["error"]
    return box.get("value")


# --- Local --------------------------------------------------------------------------------


def test_local_isolates_threads() -> None:
    loc = Local()
    loc.name = "main"
    barrier = threading.Barrier(4)
    seen: dict[int, tuple[Any, ...]] = {}

    def worker(i: int) -> None:
        assert not hasattr(loc, "name")  # nothing leaks in from the main thread
        loc.name = f"w{i}"
        barrier.wait(5)  # every thread has written before any reads
        seen[i] = (loc.name, threading.get_ident())
        barrier.wait(5)
        release_local(loc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert {i: v[0] for i, v in seen.items()} == {i: f"w{i}" for i in range(4)}
    assert loc.name == "main"
    assert loc.idents() == [threading.get_ident()]


def test_local_get_set_delete() -> None:
    loc = Local()
    with pytest.raises(AttributeError):
        _ = loc.missing
    loc.a = 1
    assert loc.a == 1
    del loc.a
    with pytest.raises(AttributeError):
        _ = loc.a
    with pytest.raises(AttributeError):
        del loc.a


def test_release_local_drops_only_current_ident() -> None:
    loc = Local()
    loc.a = 1
    other_ident = _in_thread(lambda: (setattr(loc, "a", 2), threading.get_ident())[1])
    assert set(loc.idents()) == {threading.get_ident(), other_ident}
    release_local(loc)
    assert not hasattr(loc, "a")
    assert loc.idents() == [other_ident]
    assert dict(iter(loc)) == {other_ident: {"a": 2}}
    release_local(loc)  # releasing twice is harmless


def test_local_call_makes_proxy() -> None:
    loc = Local()
    proxy = loc("user")
    loc.user = ["x"]
    assert proxy == ["x"]
    assert len(proxy) == 1
    release_local(loc)
    with pytest.raises(AttributeError):
        len(proxy)


def test_live_locals_lists_alive_locals() -> None:
    loc = Local(label="listed")
    assert loc in live_locals()


# --- LocalStack ---------------------------------------------------------------------------


def test_localstack_push_pop_top_and_release() -> None:
    stack: LocalStack[int] = LocalStack()
    ident = threading.get_ident()
    assert stack.top is None
    assert stack.pop() is None
    assert stack.depth() == 0
    assert stack.push(1) == [1]
    assert stack.push(2) == [1, 2]
    assert stack.top == 2
    assert stack.depth() == 2
    assert stack.local.idents() == [ident]
    assert stack.pop() == 2
    assert stack.top == 1
    assert stack.local.idents() == [ident]
    assert stack.pop() == 1
    # Emptied: the ident's whole entry is gone, not an empty list left behind.
    assert stack.local.idents() == []
    assert stack.top is None
    assert stack.pop() is None


def test_localstack_per_thread() -> None:
    stack: LocalStack[str] = LocalStack()
    stack.push("main")

    def other() -> tuple[Any, Any, int]:
        before = stack.top
        stack.push("other")
        top = stack.top
        d = stack.depth()
        stack.pop()
        return before, top, d

    assert _in_thread(other) == (None, "other", 1)
    assert stack.top == "main"
    assert stack.local.idents() == [threading.get_ident()]
    stack.pop()


def test_localstack_copy_on_write() -> None:
    # A list handed out by a push is never changed afterwards (snapshots rely on it).
    stack: LocalStack[int] = LocalStack()
    first = stack.push(1)
    stack.push(2)
    assert first == [1]
    stack.pop()
    stack.pop()


def test_localstack_proxy() -> None:
    stack: LocalStack[dict[str, int]] = LocalStack()
    top = stack()
    with pytest.raises(RuntimeError):
        top["a"]
    stack.push({"a": 1})
    assert top["a"] == 1
    stack.push({"a": 2})
    assert top["a"] == 2  # looked up again on every access
    stack.pop()
    stack.pop()


def test_release_local_on_stack() -> None:
    stack: LocalStack[int] = LocalStack()
    stack.push(1)
    stack.push(2)
    release_local(stack)
    assert stack.top is None
    assert stack.local.idents() == []


# --- on_change ----------------------------------------------------------------------------


def test_on_change_sees_set_deleted_released() -> None:
    calls: list[tuple[Any, ...]] = []

    def observe(change: str, local: Local, ident: int, name: Any, value: Any, rel: Any) -> None:
        calls.append((change, local, ident, name, value, rel))

    loc = Local(on_change=observe, label="obs")
    me = threading.get_ident()
    loc.a = 1
    loc.b = 2
    del loc.a
    release_local(loc)
    release_local(loc)  # nothing left: no second "released"
    assert calls == [
        ("set", loc, me, "a", 1, None),
        ("set", loc, me, "b", 2, None),
        ("deleted", loc, me, "a", None, None),
        ("released", loc, me, None, None, {"b": 2}),
    ]


def test_on_change_on_stack_push_pop() -> None:
    calls: list[tuple[str, Any, Any]] = []
    stack: LocalStack[str] = LocalStack(
        on_change=lambda change, local, ident, name, value, rel: calls.append((change, value, rel))
    )
    stack.push("a")
    stack.push("b")
    stack.pop()
    stack.pop()
    assert calls == [
        ("set", ["a"], None),
        ("set", ["a", "b"], None),
        ("set", ["a"], None),
        ("released", None, {"stack": ["a"]}),
    ]


# --- pluggable ident ----------------------------------------------------------------------


def test_asyncio_task_ident() -> None:
    def task_ident() -> int:
        return id(asyncio.current_task())

    loc = Local(task_ident)
    stack: LocalStack[str] = LocalStack(task_ident)

    async def worker(name: str) -> tuple[str, str | None, int]:
        loc.value = name
        stack.push(name)
        for _ in range(5):
            await asyncio.sleep(0)  # let the other task run and write its own values
        result = (loc.value, stack.top, stack.depth())
        stack.pop()
        release_local(loc)
        return result

    async def main() -> list[Any]:
        return await asyncio.gather(worker("a"), worker("b"))

    # Both tasks run on this one thread, yet each sees only its own storage.
    assert asyncio.run(main()) == [("a", "a", 1), ("b", "b", 1)]
    assert loc.idents() == []
    assert stack.local.idents() == []


# --- LocalProxy ---------------------------------------------------------------------------


class _Thing:
    def __init__(self) -> None:
        self.attr = "value"  # plain attribute

    def method(self, x: int) -> int:
        return x * 2


def _proxy_to(value: Any) -> tuple[LocalProxy, Local]:
    loc = Local()
    loc.obj = value
    return loc("obj"), loc


def test_proxy_attributes() -> None:
    proxy, loc = _proxy_to(_Thing())
    assert proxy.attr == "value"
    assert proxy.method(4) == 8
    proxy.attr = "changed"
    assert loc.obj.attr == "changed"
    proxy.new = 1
    assert loc.obj.new == 1
    del proxy.new
    assert not hasattr(loc.obj, "new")
    assert "attr" in dir(proxy)
    assert proxy.__dict__ == loc.obj.__dict__


def test_proxy_isinstance_and_class() -> None:
    proxy, loc = _proxy_to(_Thing())
    assert isinstance(proxy, _Thing)
    assert proxy.__class__ is _Thing
    release_local(loc)
    assert not isinstance(proxy, _Thing)


@pytest.mark.parametrize(
    ("op", "left", "right"),
    [
        (operator.add, 7, 3),
        (operator.sub, 7, 3),
        (operator.mul, 7, 3),
        (operator.truediv, 7, 2),
        (operator.floordiv, 7, 2),
        (operator.mod, 7, 3),
        (pow, 7, 3),
        (operator.lshift, 7, 3),
        (operator.rshift, 7, 1),
        (operator.and_, 7, 3),
        (operator.or_, 4, 3),
        (operator.xor, 7, 3),
        (operator.lt, 7, 3),
        (operator.le, 7, 7),
        (operator.gt, 7, 3),
        (operator.ge, 3, 7),
        (operator.eq, 7, 7),
        (operator.ne, 7, 7),
    ],
)
def test_proxy_binary_and_reflected_operators(op: Any, left: int, right: int) -> None:
    proxy, _ = _proxy_to(left)
    assert op(proxy, right) == op(left, right)
    proxy_r, _ = _proxy_to(right)
    assert op(left, proxy_r) == op(left, right)  # reflected: the proxy on the right


def test_proxy_forwards_the_rest_of_werkzeugs_dunders() -> None:
    import copy
    import math

    proxy, _ = _proxy_to(7)
    assert divmod(proxy, 3) == (2, 1)
    assert divmod(20, proxy) == (2, 6)  # __rdivmod__
    f, _ = _proxy_to(2.5)
    assert (math.trunc(f), math.floor(f), math.ceil(f)) == (2, 2, 3)

    class Acc:
        def __init__(self) -> None:
            self.ops: list[str] = []  # in-place operations applied

        def _rec(name: str) -> Any:
            def method(self: Acc, other: Any) -> Acc:
                self.ops.append(name)
                return self

            return method

        __itruediv__ = _rec("/")
        __ifloordiv__ = _rec("//")
        __imod__ = _rec("%")
        __ipow__ = _rec("**")
        __ilshift__ = _rec("<<")
        __irshift__ = _rec(">>")
        __ixor__ = _rec("^")
        __imatmul__ = _rec("@")

    acc, loc = _proxy_to(Acc())
    p = acc
    p /= 1
    p //= 1
    p %= 1
    p **= 1
    p <<= 1
    p >>= 1
    p ^= 1
    p @= 1
    assert p is acc
    assert loc.obj.ops == ["/", "//", "%", "**", "<<", ">>", "^", "@"]
    lst, lloc = _proxy_to([1, [2]])
    shallow = copy.copy(lst)
    assert type(shallow) is list and shallow == [1, [2]] and shallow[1] is lloc.obj[1]
    deep = copy.deepcopy(lst)
    assert deep == [1, [2]] and deep[1] is not lloc.obj[1]

    async def coro() -> int:
        return 5

    aw, _ = _proxy_to(coro())
    assert asyncio.run(_await(aw)) == 5


async def _await(x: Any) -> Any:
    return await x


def test_proxy_matmul_reflected() -> None:
    class M:
        def __matmul__(self, other: Any) -> str:
            return "mat"

        def __rmatmul__(self, other: Any) -> str:
            return "rmat"

    proxy, _ = _proxy_to(M())
    assert proxy @ 1 == "mat"
    assert 1 @ proxy == "rmat"


def test_proxy_unary_and_conversions() -> None:
    proxy, _ = _proxy_to(-3)
    assert -proxy == 3
    assert +proxy == -3
    assert abs(proxy) == 3
    assert ~proxy == 2
    assert int(proxy) == -3
    assert float(proxy) == -3.0
    assert complex(proxy) == -3 + 0j
    assert [10, 20, 30, 40][proxy] == 20  # __index__
    assert round(proxy) == -3
    assert str(proxy) == "-3"
    assert f"{proxy:03d}" == "-03"
    assert hash(proxy) == hash(-3)


def test_proxy_inplace_keeps_proxy() -> None:
    proxy, loc = _proxy_to([1])
    name = proxy
    name += [2]
    assert name is proxy  # the name still refers to the proxy
    assert loc.obj == [1, 2]
    s, sloc = _proxy_to({1})
    s |= {2}
    assert sloc.obj == {1, 2}
    s &= {2}
    assert sloc.obj == {2}


def test_proxy_items_call_iter_len_bool_repr() -> None:
    proxy, loc = _proxy_to({"a": 1})
    assert proxy["a"] == 1
    proxy["b"] = 2
    assert loc.obj == {"a": 1, "b": 2}
    del proxy["a"]
    assert loc.obj == {"b": 2}
    assert "b" in proxy
    assert list(proxy) == ["b"]
    assert len(proxy) == 1
    assert bool(proxy)
    assert repr(proxy) == "{'b': 2}"
    loc.obj = []
    assert not proxy
    assert list(reversed(_proxy_to([1, 2])[0])) == [2, 1]
    fn, _ = _proxy_to(lambda *a, **k: (a, k))
    assert fn(1, x=2) == ((1,), {"x": 2})
    it, _ = _proxy_to(iter([5, 6]))
    assert next(it) == 5


def test_proxy_context_manager() -> None:
    entered: list[str] = []

    class CM:
        def __enter__(self) -> str:
            entered.append("enter")
            return "inside"

        def __exit__(self, *a: Any) -> None:
            entered.append("exit")

    proxy, _ = _proxy_to(CM())
    with proxy as value:
        assert value == "inside"
    assert entered == ["enter", "exit"]


def test_proxy_looks_up_on_every_access() -> None:
    calls: list[int] = []
    current = {"v": 1}

    def lookup() -> int:
        calls.append(1)
        return current["v"]

    proxy = LocalProxy(lookup)
    assert proxy + 0 == 1
    current["v"] = 5
    assert proxy + 0 == 5
    assert proxy == 5
    assert len(calls) == 3
    assert proxy.__wrapped__ is lookup


def test_proxy_unbound() -> None:
    def lookup() -> Any:
        raise RuntimeError("Working outside of nothing")

    proxy = LocalProxy(lookup, name="thing")
    assert repr(proxy) == "<LocalProxy unbound thing>"
    assert repr(LocalProxy(lookup)) == "<LocalProxy unbound>"
    assert not proxy
    assert dir(proxy) == []
    with pytest.raises(RuntimeError, match="Working outside of nothing"):
        _ = proxy.anything
    with pytest.raises(RuntimeError):
        _ = proxy + 1
    with pytest.raises(RuntimeError):  # as Werkzeug's proxy: the lookup error surfaces
        _ = proxy.__dict__


# --- snapshot consistency -----------------------------------------------------------------


def test_snapshot_while_threads_write() -> None:
    """Snapshots taken from another thread only ever see whole, valid stacks."""
    stack: LocalStack[int] = LocalStack(label="stress")
    loc = stack.local
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            while not stop.is_set():
                for i in range(5):
                    stack.push(i)
                for _ in range(5):
                    stack.pop()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    snapshots = 0
    seen_nonempty = 0
    deadline = time.monotonic() + 1.0
    try:
        while time.monotonic() < deadline:
            snap = loc.snapshot()
            snapshots += 1
            for ident, storage in snap.items():
                assert set(storage) == {"stack"}, (ident, storage)
                items = storage["stack"]
                # A torn state would show a gap, a repeat or an empty list left behind.
                assert items == list(range(len(items))), items
                assert 1 <= len(items) <= 5
                seen_nonempty += 1
            for _ident, values in loc:  # iteration is also a consistent copy
                assert values["stack"] == list(range(len(values["stack"])))
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert not errors
    assert snapshots > 10
    assert seen_nonempty > 0
    assert loc.snapshot() == {}  # every writer ended with its stack empty: all released
