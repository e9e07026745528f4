"""One device rule for maps and models: CUDA when available, else CPU; checked in one place.

``resolve_device(None)`` (or ``"auto"``) picks ``cuda:<rank % count>`` when torch sees a GPU and
``cpu`` otherwise. An explicit device is validated before any work starts: an unknown name or a
CUDA device on a machine without one raises :class:`~spotdiff._errors.InvalidOptionError` that
says what is available, instead of torch's traceback deep inside a forward pass.
"""

from __future__ import annotations

from typing import Any

from ._errors import InvalidOptionError
from ._optional import require

__all__ = ["resolve_device"]


def resolve_device(device: Any = None, *, rank: int | None = None) -> Any:
    """``device`` as a ``torch.device`` (imports torch).

    Args:
        device: None or ``"auto"`` (CUDA when available, else CPU), a string such as ``"cpu"``,
            ``"cuda"``, ``"cuda:1"``, ``"mps"``, or a ``torch.device``.
        rank: worker index; with ``device=None`` on a multi-GPU machine, worker ``rank`` gets
            GPU ``rank % count``.

    Raises:
        InvalidOptionError: the name is not a torch device, or names an accelerator this
            machine (or this torch build) does not have.
    """
    torch = require("torch", purpose="difference maps and model backends")
    if device is None or (isinstance(device, str) and device.strip().lower() == "auto"):
        if torch.cuda.is_available():
            return torch.device(f"cuda:{(rank or 0) % torch.cuda.device_count()}")
        return torch.device("cpu")
    try:
        dev = torch.device(device.strip().lower() if isinstance(device, str) else device)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise InvalidOptionError(
            f"device {device!r} is not a torch device; use 'auto', 'cpu', 'cuda' or 'cuda:N'"
        ) from exc
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise InvalidOptionError(
                f"device {device!r}: this torch build sees no CUDA GPU "
                f"(torch {torch.__version__}); use --device cpu or 'auto'"
            )
        count = torch.cuda.device_count()
        if dev.index is not None and dev.index >= count:
            raise InvalidOptionError(
                f"device {device!r}: only {count} CUDA device(s) here (cuda:0..cuda:{count - 1})"
            )
    elif dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise InvalidOptionError(f"device {device!r}: MPS is not available here; use 'cpu'")
    elif dev.type != "cpu":
        raise InvalidOptionError(
            f"device {device!r}: spotdiff runs on 'cpu', 'cuda[:N]' or 'mps'; got type {dev.type!r}"
        )
    return dev
