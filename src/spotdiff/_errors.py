"""Typed errors of spotdiff.

Every error the library raises on bad user input subclasses :class:`SpotdiffError` and one of the
built-in ``ValueError`` / ``TypeError`` / ``ImportError`` / ``FileNotFoundError``, so callers can
catch either. Messages say what was expected, what came, and what to do. The CLI maps every
``SpotdiffError`` to one line on stderr and exit code 2.
"""

from __future__ import annotations

__all__ = [
    "ImageReadError",
    "InvalidOptionError",
    "LayoutError",
    "MissingDependencyError",
    "PairingError",
    "SizeMismatchError",
    "SpotdiffError",
    "SpotdiffWarning",
    "UnknownNameError",
    "WeightsNotFoundError",
]


class SpotdiffError(Exception):
    """Base class of every error spotdiff raises on purpose."""


class InvalidOptionError(SpotdiffError, ValueError):
    """An option has a value outside its documented set or range."""


class UnknownNameError(InvalidOptionError):
    """A registry lookup (metric, strategy, processor, ...) named nothing registered."""


class ImageReadError(SpotdiffError, ValueError):
    """A file is missing, empty, corrupt, truncated, not an image, or too large to decode."""


class LayoutError(SpotdiffError, ValueError):
    """An array or tensor's shape or dtype cannot be read as an image (batch)."""


class SizeMismatchError(SpotdiffError, ValueError):
    """Two images differ in size and the size policy is ``"error"``."""


class PairingError(SpotdiffError, ValueError):
    """Two directories (or batches) cannot be paired one to one."""


class MissingDependencyError(SpotdiffError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class WeightsNotFoundError(SpotdiffError, FileNotFoundError):
    """Model weights are not available locally; the message names the exact paths expected."""


class SpotdiffWarning(UserWarning):
    """Something was done on the user's behalf (a resize, a guessed layout, a skipped step)."""
