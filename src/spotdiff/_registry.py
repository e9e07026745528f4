"""Name -> factory registries (metrics, strategies, processors, backends).

Registration is by decorator; collisions raise; looking up an unknown name raises
:class:`~spotdiff._errors.UnknownNameError` listing close matches and every valid name.

:meth:`Registry.get` checks the options against the factory's signature before calling it: an
option the factory does not take, a required option left out, or a value the factory rejects with
``TypeError`` / ``ValueError`` all raise :class:`~spotdiff._errors.InvalidOptionError` naming the
registered object and its valid options (``unknown option 'nope' for pre-processor
'highpass_filter'; valid options: factor``), so no registry lets a ``TypeError`` out of a factory.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from ._errors import InvalidOptionError, SpotdiffError, UnknownNameError

__all__ = ["Registry"]

T = TypeVar("T")


def _normalize(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def _signature(factory: Callable[..., Any]) -> inspect.Signature | None:
    """The factory's signature; None when it takes ``**kwargs`` or has none to read."""
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return None
    if any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
        return None
    return signature


def _option_names(signature: inspect.Signature) -> tuple[str, ...]:
    kinds = (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return tuple(p.name for p in signature.parameters.values() if p.kind in kinds)


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
        """Build the registered object ``name`` with keyword ``options``.

        Raises:
            UnknownNameError: no such name (close matches and valid names listed).
            InvalidOptionError: an option the factory does not take, a required one missing, or a
                value the factory rejects (its ``TypeError`` / ``ValueError``); the message names
                the valid options.
        """
        canonical = self.resolve(name)
        factory = self._factories[canonical]
        signature = _signature(factory)
        if signature is not None:
            self._check_options(canonical, signature, options)
        if not options:
            return factory()
        try:
            return factory(**options)
        except SpotdiffError:
            raise
        except (TypeError, ValueError) as exc:
            given = ", ".join(f"{k}={v!r}" for k, v in options.items())
            raise InvalidOptionError(
                f"{self.kind} {canonical!r} rejects {given}: {exc}; "
                f"valid options: {self._listed(canonical)}"
            ) from exc

    def options(self, name: str) -> tuple[str, ...] | None:
        """Names of the keyword options ``name``'s factory takes (None: any, it takes ``**``)."""
        signature = _signature(self.factory(name))
        return None if signature is None else _option_names(signature)

    def _listed(self, canonical: str) -> str:
        names = self.options(canonical)
        if names is None:
            return "any keyword"
        return ", ".join(names) or "(none)"

    def _check_options(
        self, canonical: str, signature: inspect.Signature, options: dict[str, Any]
    ) -> None:
        accepted = _option_names(signature)
        for key in options:
            if key not in accepted:
                close = difflib.get_close_matches(key, accepted, n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise InvalidOptionError(
                    f"unknown option {key!r} for {self.kind} {canonical!r}{hint}; "
                    f"valid options: {', '.join(accepted) or '(none)'}"
                )
        for param in signature.parameters.values():
            if (
                param.name in accepted
                and param.default is param.empty
                and param.name not in options
            ):
                raise InvalidOptionError(
                    f"{self.kind} {canonical!r} needs the option {param.name!r}; "
                    f"valid options: {', '.join(accepted)}"
                )

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
