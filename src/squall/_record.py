"""Record: the base of squall's value objects.

A subclass lists its fields in ``__slots__`` and writes a keyword-only ``__init__``.
Records are treated as immutable (nothing in squall assigns to a model after creating
it; ``replace`` makes a changed copy). They are plain classes rather than dataclasses
because creating ~40 dataclasses costs more start-up time than the whole rest of a
trivial run (measured in docs/performance.md).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any, Self

__all__ = ["Record"]


class Record:
    __slots__ = ()

    def _fields(self) -> tuple[str, ...]:
        names: list[str] = []
        for klass in reversed(type(self).__mro__):
            names += getattr(klass, "__slots__", ())
        return tuple(names)

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed."""
        copy = object.__new__(type(self))
        for name in self._fields():
            object.__setattr__(
                copy, name, changes.pop(name) if name in changes else getattr(self, name)
            )
        if changes:
            raise TypeError(f"{type(self).__name__} has no field(s) {', '.join(changes)}")
        return copy

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self._fields())

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._fields())
        return f"{type(self).__name__}({inner})"

    __hash__ = None  # type: ignore[assignment]
