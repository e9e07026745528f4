"""Name -> factory registries (metrics, strategies, processors, backends).

Registration is by decorator; collisions raise; looking up an unknown name raises
:class:`~spotdiff._errors.UnknownNameError` listing close matches and every valid name.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from ._errors import InvalidOptionError, UnknownNameError

__all__ = ["Registry"]

T = TypeVar("T")


def _normalize(name: str) -> str:
    return name.strip().lower().replace("-", "_")


class Registry(Generic[T]):
    """A named collection of factories of one kind (``kind`` is used in messages)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._factories: dict[str, Callable[..., T]] = {}
        self._aliases: dict[str, str] = {}

    def register(
        self, name: str, *, aliases: tuple[str, ...] = ()
    ) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator registering ``factory`` under ``name`` (and ``aliases``)."""

        def decorator(factory: Callable[..., T]) -> Callable[..., T]:
            for key in (name, *aliases):
                norm = _normalize(key)
                if norm in self._factories or norm in self._aliases:
                    raise InvalidOptionError(f"{self.kind} {key!r} is already registered")
            self._factories[_normalize(name)] = factory
            for alias in aliases:
                self._aliases[_normalize(alias)] = _normalize(name)
            return factory

        return decorator

    def resolve(self, name: str) -> str:
        """Canonical registered name for ``name`` (case, ``-``/``_`` and aliases folded)."""
        if not isinstance(name, str):
            raise InvalidOptionError(
                f"{self.kind} must be a name (str), got {type(name).__name__}; "
                f"valid names: {', '.join(self.names())}"
            )
        norm = _normalize(name)
        norm = self._aliases.get(norm, norm)
        if norm not in self._factories:
            candidates = [*self._factories, *self._aliases]
            close = difflib.get_close_matches(norm, candidates, n=3, cutoff=0.6)
            hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise UnknownNameError(
                f"unknown {self.kind} {name!r}.{hint} Valid names: {', '.join(self.names())}"
            )
        return norm

    def get(self, name: str, /, **options: Any) -> T:
        """Build the registered object ``name`` with keyword ``options``."""
        return self._factories[self.resolve(name)](**options)

    def factory(self, name: str) -> Callable[..., T]:
        return self._factories[self.resolve(name)]

    def names(self) -> list[str]:
        """Sorted canonical names."""
        return sorted(self._factories)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        norm = _normalize(name)
        return norm in self._factories or norm in self._aliases

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._factories)
