"""Backends registered per role, and the one walk that picks a backend for a role.

Registration is by decorator on a backend's loader (a function or class returning the backend)::

    @register_backend("similarity", "clip", model=True, spec=CLIP)
    def load_clip(source=..., *, device=None, rank=None, batch_size=32, ...): ...

Each :class:`BackendEntry` says its role, name, whether it needs model weights (and which
:class:`~._spec.WeightsSpec` / extra), and the keyword options its loader accepts.
:func:`get_backend` builds one by name; :func:`list_backends` lists a role's names.

Choosing is data: :data:`PREFERENCES` orders each role's backends, and :func:`choose_backend`
walks that list for a mode:

- ``"auto"``: every entry in order; the first that loads wins. An entry that cannot load
  because a library is missing, its weights are not local and cannot be downloaded, or a
  download fails on the network, is passed over and the reason recorded;
- ``"models"``: the model entries only; if none loads, the first one's error is raised;
- ``"classical"``: the model-free entries only;
- a registered name: that backend, which must load.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .._errors import InvalidOptionError, MissingDependencyError, WeightsNotFoundError
from .._registry import Registry
from .._validate import check_choice
from ._network import is_network_error
from ._spec import WeightsSpec

__all__ = [
    "MODES",
    "PREFERENCES",
    "ROLES",
    "BackendEntry",
    "Choice",
    "backend_entry",
    "choose_backend",
    "get_backend",
    "list_backends",
    "register_backend",
]

#: The roles (ImgDiff steps that have a model backend).
ROLES = ("similarity", "segmentation", "matching")
#: Modes of :func:`choose_backend` besides a backend's name.
MODES = ("auto", "models", "classical")
#: Role -> backend names in order of preference (models first, then their stand-ins).
PREFERENCES: Mapping[str, tuple[str, ...]] = {
    "similarity": ("clip", "structural"),
    "segmentation": ("fastsam", "find"),
    "matching": ("blip", "skip"),
}

# Modules whose loaders register the built-in backends (imported on first lookup: cheap, no
# torch or model library is imported by them).
_BUILTIN_MODULES = (".similarity", ".proposals", ".clip", ".fastsam", ".blip")
_REGISTRIES: dict[str, Registry] = {role: Registry(f"{role} backend") for role in ROLES}
_LOADED = False


def _option_names(loader: Callable[..., Any]) -> tuple[str, ...] | None:
    """Keyword options ``loader`` accepts; None when it takes ``**options`` (it checks them)."""
    params = inspect.signature(loader).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return tuple(sorted(p.name for p in params if p.kind in keyword))


@dataclass(frozen=True)
class BackendEntry:
    """One registered backend: what it is, what it needs, and how to build it.

    Attributes:
        role: one of :data:`ROLES`.
        name: its registered name (``"clip"``).
        loader: builds the backend from keyword options.
        model: whether it needs model weights.
        spec: the weights it loads (None for model-free backends).
        extra: the spotdiff extra that installs its library (None: nothing to install).
        label: what a run records when it runs (``"skipped"`` for ``skip``); default ``name``.
        options: the keyword options ``loader`` accepts (None: it validates its own).
        summary: one line on what it does.
    """

    role: str
    name: str
    loader: Callable[..., Any] = field(repr=False)
    model: bool
    spec: WeightsSpec | None = None
    extra: str | None = None
    label: str = ""
    options: tuple[str, ...] | None = None
    summary: str = ""

    @property
    def library(self) -> str | None:
        """Import name of the library the weights need (None for model-free backends)."""
        return self.spec.library if self.spec is not None else None

    def __call__(self, **options: Any) -> Any:
        """Build the backend; unknown options raise :class:`InvalidOptionError` naming the
        valid ones."""
        if self.options is not None:
            unknown = sorted(set(options) - set(self.options))
            if unknown:
                raise InvalidOptionError(
                    f"{self.role} backend {self.name!r} got unknown option(s) "
                    f"{', '.join(unknown)}; valid options: {', '.join(self.options) or 'none'}"
                )
        return self.loader(**options)


def register_backend(
    role: str,
    name: str,
    *,
    model: bool,
    spec: WeightsSpec | None = None,
    extra: str | None = None,
    label: str | None = None,
    aliases: tuple[str, ...] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator registering ``loader`` as the ``role`` backend ``name`` (returned unchanged).

    Raises:
        InvalidOptionError: unknown role, or the name is already registered for that role.
    """
    registry = _REGISTRIES[check_choice("role", role, ROLES)]

    def decorator(loader: Callable[..., Any]) -> Callable[..., Any]:
        doc = inspect.getdoc(loader) or ""
        entry = BackendEntry(
            role=role,
            name=name,
            loader=loader,
            model=bool(model),
            spec=spec,
            extra=extra if extra is not None else (spec.extra if spec is not None else None),
            label=label or name,
            options=_option_names(loader),
            summary=doc.splitlines()[0] if doc else "",
        )
        registry.register(name, aliases=aliases)(entry)
        return loader

    return decorator


def _registry(role: str) -> Registry:
    global _LOADED
    if not _LOADED:
        for module in _BUILTIN_MODULES:
            importlib.import_module(module, __package__)
        _LOADED = True
    return _REGISTRIES[check_choice("role", role, ROLES)]


def backend_entry(role: str, name: str) -> BackendEntry:
    """The :class:`BackendEntry` of ``name`` (case, ``-``/``_`` and aliases folded).

    Raises:
        UnknownNameError: no such backend for ``role`` (the message lists the valid names).
    """
    return _registry(role).factory(name)  # type: ignore[return-value]


def get_backend(role: str, name: str, /, **options: Any) -> Any:
    """Build the ``role`` backend ``name`` with ``options`` (``get_backend("similarity",
    "clip", source=..., device="cpu")``).

    Raises:
        UnknownNameError: no such backend (lists the valid names).
        InvalidOptionError: an option the backend does not take (names the valid ones).
        MissingDependencyError, WeightsNotFoundError: it needs what is not there.
    """
    return backend_entry(role, name)(**options)


def list_backends(role: str) -> list[str]:
    """Sorted names of the backends registered for ``role``."""
    return _registry(role).names()


def skip_matching() -> None:
    """No image-text matching: candidate boxes are not checked against the caption nouns."""
    return None


register_backend("matching", "skip", model=False, label="skipped")(skip_matching)


@dataclass(frozen=True)
class Choice:
    """What :func:`choose_backend` picked.

    Attributes:
        backend: the built backend (None for ``skip``).
        entry: its entry.
        passed_over: ``(name, short reason, full message)`` of each preferred entry that could
            not load, in order.
    """

    backend: Any
    entry: BackendEntry
    passed_over: tuple[tuple[str, str, str], ...] = ()

    @property
    def reason(self) -> str:
        """Why the preferred backends did not run, in a few words ("" when none failed)."""
        return ", ".join(short for _, short, _ in self.passed_over)


def candidates(role: str, mode: str) -> list[BackendEntry]:
    """The entries :func:`choose_backend` tries for ``mode``, in order."""
    if mode not in MODES:
        return [backend_entry(role, mode)]
    entries = [backend_entry(role, name) for name in PREFERENCES[role]]
    if mode == "models":
        return [e for e in entries if e.model]
    if mode == "classical":
        return [e for e in entries if not e.model]
    return entries


def unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means "this backend cannot run here" (a fallback under ``"auto"``)."""
    return isinstance(exc, (MissingDependencyError, WeightsNotFoundError)) or is_network_error(exc)


def short_reason(entry: BackendEntry, exc: BaseException) -> str:
    """A few words on why ``entry`` could not load (``"ultralytics not installed"``)."""
    if isinstance(exc, MissingDependencyError):
        library = entry.library
        if library is None:
            return f"{entry.name} needs a library that is not installed"
        try:
            installed = importlib.util.find_spec(library) is not None
        except (ImportError, ValueError):
            installed = False
        return f"{library} {'cannot be imported' if installed else 'not installed'}"
    if isinstance(exc, WeightsNotFoundError):
        return f"{entry.name} {getattr(exc, 'short', 'weights not found locally')}"
    return f"{entry.name} weights download failed ({type(exc).__name__})"


def choose_backend(
    role: str, mode: str, options_for: Callable[[BackendEntry], dict[str, Any]]
) -> Choice:
    """Build the first backend of ``role`` that loads, walking :func:`candidates`.

    Args:
        role: one of :data:`ROLES`.
        mode: one of :data:`MODES` or a registered name (module docstring).
        options_for: the keyword options to build an entry with.

    Raises:
        UnknownNameError: ``mode`` is neither a mode nor a registered name.
        MissingDependencyError, WeightsNotFoundError: ``"models"`` or a named backend, and it
            cannot load (any other error of a loader is raised as it is, in every mode).
    """
    entries = candidates(role, mode)
    if not entries:
        raise InvalidOptionError(f"no {role} backend is registered for mode {mode!r}")
    passed: list[tuple[str, str, str]] = []
    errors: list[BaseException] = []
    for entry in entries:
        try:
            backend = entry(**options_for(entry))
        except Exception as exc:
            if not unavailable(exc) or mode not in ("auto", "models"):
                raise
            errors.append(exc)
            passed.append((entry.name, short_reason(entry, exc), str(exc)))
            continue
        return Choice(backend, entry, tuple(passed))
    raise errors[0]
