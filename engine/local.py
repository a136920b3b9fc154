"""Context-local storage, the classic design (Werkzeug up to 1.0), made observable.

A ``Local`` keeps one dictionary per *ident* of the running unit of concurrency:
``{ident: {name: value}}``. Werkzeug 2.0+ keeps a dict in a ``ContextVar`` instead, which
nobody can list from outside; ctxscope keeps the classic design precisely because its storage
can be listed, so the window can show every thread's contexts side by side.

Observability: every set, delete and release calls the Local's ``on_change`` callback, and
``snapshot()`` returns every ident's storage as JSON-friendly summaries. Writes and snapshots
take the same lock, so a snapshot taken from another thread is a consistent cut.
``LocalStack`` replaces its list on every push and pop (copy on write), so a snapshot never sees
a list that is being changed, and every push and pop shows up as a set or a release.
"""

from __future__ import annotations

import copy
import math
import operator
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from .summary import summarize

__all__ = [
    "Local",
    "LocalChange",
    "LocalProxy",
    "LocalStack",
    "get_ident",
    "live_locals",
    "release_local",
]

T = TypeVar("T")

get_ident: Callable[[], int] = threading.get_ident
"""The default ident function: the current thread's id."""

LocalChange = Callable[[str, "Local", int, str | None, Any, dict[str, Any] | None], None]
"""``on_change(change, local, ident, name, value, released_storage)``.

``change`` is "set", "deleted" or "released"; ``released_storage`` is the dropped dictionary
for a release (so an observer can tell what it held), None otherwise.
"""

_all_locals: weakref.WeakSet[Local] = weakref.WeakSet()


def live_locals() -> list[Local]:
    """Every ``Local`` that is still alive, for snapshots of the whole process."""
    return list(_all_locals)


class Local:
    """Attribute storage private to each ident.

    ``ident_func`` decides what "the current unit" is: ``threading.get_ident`` by default; pass
    ``greenlet.getcurrent`` or a function returning ``id(asyncio.current_task())`` for servers
    built on those.
    """

    __slots__ = (
        "__ident_func__",
        "__label__",
        "__lock__",
        "__on_change__",
        "__storage__",
        "__weakref__",
    )

    def __init__(
        self,
        ident_func: Callable[[], int] | None = None,
        *,
        label: str = "local",
        on_change: LocalChange | None = None,
    ) -> None:
        object.__setattr__(self, "__storage__", {})  # {ident: {name: value}}
        object.__setattr__(self, "__ident_func__", ident_func or get_ident)  # who is "current"
        object.__setattr__(self, "__label__", label)  # shown in snapshots and events
        object.__setattr__(self, "__on_change__", on_change)  # observer of every write
        object.__setattr__(self, "__lock__", threading.Lock())  # makes snapshots consistent
        _all_locals.add(self)

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        with self.__lock__:
            items = [(ident, dict(values)) for ident, values in self.__storage__.items()]
        return iter(items)

    def __release_local__(self) -> None:
        ident = self.__ident_func__()
        with self.__lock__:
            released = self.__storage__.pop(ident, None)
        if released is not None and self.__on_change__ is not None:
            self.__on_change__("released", self, ident, None, None, released)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__storage__[self.__ident_func__()][name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        ident = self.__ident_func__()
        with self.__lock__:
            storage = self.__storage__
            if ident in storage:
                storage[ident][name] = value
            else:
                storage[ident] = {name: value}
        if self.__on_change__ is not None:
            self.__on_change__("set", self, ident, name, value, None)

    def __delattr__(self, name: str) -> None:
        ident = self.__ident_func__()
        with self.__lock__:
            try:
                del self.__storage__[ident][name]
            except KeyError:
                raise AttributeError(name) from None
        if self.__on_change__ is not None:
            self.__on_change__("deleted", self, ident, name, None, None)

    def __call__(self, proxy_name: str) -> LocalProxy:
        """A proxy to the attribute ``proxy_name`` of this Local."""
        return LocalProxy(lambda: getattr(self, proxy_name), name=proxy_name)

    def __repr__(self) -> str:
        return f"<Local {self.__label__!r} idents={len(self.__storage__)}>"

    def snapshot(self) -> dict[int, dict[str, Any]]:
        """Every ident's storage, values summarized; safe from any thread."""
        with self.__lock__:
            raw = [(ident, list(values.items())) for ident, values in self.__storage__.items()]
        return {ident: {name: summarize(v) for name, v in items} for ident, items in raw}

    def idents(self) -> list[int]:
        """The idents that currently have storage."""
        with self.__lock__:
            return list(self.__storage__)


def release_local(local: Local | LocalStack[Any]) -> None:
    """Drop the current ident's storage in ``local`` (also works on a ``LocalStack``)."""
    local.__release_local__()


class LocalStack(Generic[T]):
    """A stack kept in a ``Local`` under the attribute ``stack``.

    ``push`` appends, ``pop`` removes the top and releases the ident once the stack is empty,
    ``top`` is the last item or None.
    """

    def __init__(
        self,
        ident_func: Callable[[], int] | None = None,
        *,
        label: str = "local_stack",
        on_change: LocalChange | None = None,
    ) -> None:
        self._local = Local(ident_func, label=label, on_change=on_change)  # holds "stack"

    @property
    def local(self) -> Local:
        """The underlying ``Local``."""
        return self._local

    def __release_local__(self) -> None:
        self._local.__release_local__()

    def __call__(self) -> LocalProxy:
        """A proxy to the top of this stack."""

        def _lookup() -> T:
            rv = self.top
            if rv is None:
                raise RuntimeError("object unbound")
            return rv

        return LocalProxy(_lookup)

    def push(self, obj: T) -> list[T]:
        """Push ``obj`` and return the new stack."""
        # Straight to the storage, as ``Local.__setattr__`` would do it: pushes happen twice
        # per request, and the attribute protocol (a failed lookup raising AttributeError on a
        # thread's first push) cost more than the push itself.
        local = self._local
        ident = local.__ident_func__()
        storage = local.__storage__
        with local.__lock__:
            values = storage.get(ident)
            if values is None:
                new = [obj]
                storage[ident] = {"stack": new}
            else:
                stack = values.get("stack")
                new = [obj] if stack is None else [*stack, obj]
                values["stack"] = new
        on_change = local.__on_change__
        if on_change is not None:
            on_change("set", local, ident, "stack", new, None)
        return new

    def pop(self) -> T | None:
        """Remove the top item and return it; release the ident when the stack empties."""
        local = self._local
        ident = local.__ident_func__()
        storage = local.__storage__
        with local.__lock__:
            values = storage.get(ident)
            stack = values.get("stack") if values is not None else None
            if stack is None:
                return None
            new = None
            if len(stack) == 1:
                released = storage.pop(ident)
            else:
                released = None
                new = values["stack"] = stack[:-1]  # type: ignore[index]
        on_change = local.__on_change__
        if on_change is not None:
            if released is not None:
                on_change("released", local, ident, None, None, released)
            else:
                on_change("set", local, ident, "stack", new, None)
        return stack[-1]

    @property
    def top(self) -> T | None:
        """The topmost item, or None if the stack is empty."""
        # Read on every proxy access: straight to the storage dict, no __getattr__ detour.
        local = self._local
        storage = local.__storage__.get(local.__ident_func__())
        if storage is None:
            return None
        stack = storage.get("stack")
        return stack[-1] if stack else None

    def depth(self) -> int:
        """How many items the current ident has on this stack."""
        local = self._local
        storage = local.__storage__.get(local.__ident_func__())
        return len(storage.get("stack", ())) if storage is not None else 0


def _forward(op: Callable[..., Any]) -> Callable[..., Any]:
    def method(self: LocalProxy, *args: Any) -> Any:
        return op(self._get_current_object(), *args)

    method.__name__ = getattr(op, "__name__", "op")
    return method


def _forward_reflected(op: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    def method(self: LocalProxy, other: Any) -> Any:
        return op(other, self._get_current_object())

    return method


def _forward_inplace(op: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    # ``proxy += x`` must not rebind the proxy's name to a plain object: apply the
    # operation to the proxied object and keep the proxy.
    def method(self: LocalProxy, other: Any) -> LocalProxy:
        op(self._get_current_object(), other)
        return self

    return method


class LocalProxy:
    """Forwards every operation to an object looked up on each access.

    ``request = LocalProxy(partial(_lookup_req_object, "request"))``: proxy → lookup function
    → stack top → attribute. If the lookup raises (``RuntimeError`` outside a context), the
    operation raises that error.
    """

    __slots__ = ("__lookup", "__name__", "__wrapped__")

    def __init__(self, lookup: Callable[[], Any], name: str | None = None) -> None:
        object.__setattr__(self, "_LocalProxy__lookup", lookup)  # called on every access
        object.__setattr__(self, "__name__", name)  # for repr only
        object.__setattr__(self, "__wrapped__", lookup)  # as Werkzeug exposes it

    def _get_current_object(self) -> Any:
        """The object behind the proxy right now (raises outside its context)."""
        return self.__lookup()

    @property
    def __dict__(self) -> dict[str, Any]:  # type: ignore[override]
        try:
            return self._get_current_object().__dict__
        except RuntimeError:
            raise AttributeError("__dict__") from None

    def __repr__(self) -> str:
        try:
            obj = self._get_current_object()
        except RuntimeError:
            return f"<LocalProxy unbound {self.__name__ or ''}>".replace(" >", ">")
        return repr(obj)

    def __bool__(self) -> bool:
        try:
            return bool(self._get_current_object())
        except RuntimeError:
            return False

    def __dir__(self) -> list[str]:
        try:
            return dir(self._get_current_object())
        except RuntimeError:
            return []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get_current_object(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._get_current_object(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._get_current_object(), name)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._get_current_object()[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._get_current_object()[key]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._get_current_object()(*args, **kwargs)

    def __hash__(self) -> int:
        return hash(self._get_current_object())

    def __eq__(self, other: object) -> bool:
        return self._get_current_object() == other

    def __ne__(self, other: object) -> bool:
        return self._get_current_object() != other

    @property
    def __class__(self) -> type:  # type: ignore[override]
        # isinstance(request, Request) is True, as with Werkzeug's proxies.
        try:
            return type(self._get_current_object())
        except RuntimeError:
            return LocalProxy

    __str__ = _forward(str)
    __bytes__ = _forward(bytes)
    __format__ = _forward(format)
    __lt__ = _forward(operator.lt)
    __le__ = _forward(operator.le)
    __gt__ = _forward(operator.gt)
    __ge__ = _forward(operator.ge)
    __len__ = _forward(len)
    __length_hint__ = _forward(operator.length_hint)
    __getitem__ = _forward(operator.getitem)
    __iter__ = _forward(iter)
    __next__ = _forward(next)
    __reversed__ = _forward(reversed)
    __contains__ = _forward(operator.contains)
    __enter__ = _forward(lambda o: o.__enter__())
    __exit__ = _forward(lambda o, *a: o.__exit__(*a))
    __add__ = _forward(operator.add)
    __sub__ = _forward(operator.sub)
    __mul__ = _forward(operator.mul)
    __matmul__ = _forward(operator.matmul)
    __truediv__ = _forward(operator.truediv)
    __floordiv__ = _forward(operator.floordiv)
    __mod__ = _forward(operator.mod)
    __divmod__ = _forward(divmod)
    __pow__ = _forward(pow)
    __lshift__ = _forward(operator.lshift)
    __rshift__ = _forward(operator.rshift)
    __and__ = _forward(operator.and_)
    __xor__ = _forward(operator.xor)
    __or__ = _forward(operator.or_)
    __radd__ = _forward_reflected(operator.add)
    __rsub__ = _forward_reflected(operator.sub)
    __rmul__ = _forward_reflected(operator.mul)
    __rmatmul__ = _forward_reflected(operator.matmul)
    __rtruediv__ = _forward_reflected(operator.truediv)
    __rfloordiv__ = _forward_reflected(operator.floordiv)
    __rmod__ = _forward_reflected(operator.mod)
    __rpow__ = _forward_reflected(pow)
    __rlshift__ = _forward_reflected(operator.lshift)
    __rrshift__ = _forward_reflected(operator.rshift)
    __rand__ = _forward_reflected(operator.and_)
    __rxor__ = _forward_reflected(operator.xor)
    __ror__ = _forward_reflected(operator.or_)
    __iadd__ = _forward_inplace(operator.iadd)
    __isub__ = _forward_inplace(operator.isub)
    __imul__ = _forward_inplace(operator.imul)
    __ior__ = _forward_inplace(operator.ior)
    __iand__ = _forward_inplace(operator.iand)
    __rdivmod__ = _forward_reflected(divmod)
    __itruediv__ = _forward_inplace(operator.itruediv)
    __ifloordiv__ = _forward_inplace(operator.ifloordiv)
    __imod__ = _forward_inplace(operator.imod)
    __ipow__ = _forward_inplace(operator.ipow)
    __ilshift__ = _forward_inplace(operator.ilshift)
    __irshift__ = _forward_inplace(operator.irshift)
    __ixor__ = _forward_inplace(operator.ixor)
    __imatmul__ = _forward_inplace(operator.imatmul)
    __neg__ = _forward(operator.neg)
    __pos__ = _forward(operator.pos)
    __abs__ = _forward(abs)
    __invert__ = _forward(operator.invert)
    __int__ = _forward(int)
    __float__ = _forward(float)
    __complex__ = _forward(complex)
    __index__ = _forward(operator.index)
    __round__ = _forward(round)
    __trunc__ = _forward(math.trunc)
    __floor__ = _forward(math.floor)
    __ceil__ = _forward(math.ceil)
    __copy__ = _forward(copy.copy)
    __deepcopy__ = _forward(lambda o, memo: copy.deepcopy(o, memo))
    __await__ = _forward(lambda o: o.__await__())
    __aiter__ = _forward(lambda o: o.__aiter__())
    __anext__ = _forward(lambda o: o.__anext__())
    __aenter__ = _forward(lambda o: o.__aenter__())
    __aexit__ = _forward(lambda o, *a: o.__aexit__(*a))
