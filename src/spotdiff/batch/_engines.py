"""Engines by name: what ``engine="local" | "ray"`` and ``--engine`` make."""

from __future__ import annotations

from .._errors import InvalidOptionError
from .._validate import check_choice, check_number
from ._local import Engine, LocalEngine

__all__ = ["ENGINES", "check_engine", "make_engine"]

#: The engine names, in the order the help lists them.
ENGINES = ("local", "ray")


def check_engine(
    name: str = "local",
    *,
    workers: int | None = None,
    num_gpus: float = 0,
    address: str | None = None,
) -> str:
    """Check what :func:`make_engine` would be given, without making an engine; return the
    engine's name (lower case). For a command that knows its options before it knows the
    engine's size (how many workers depends on the models it loads): one clear error before
    anything runs, and the one engine made later.

    Raises:
        InvalidOptionError, MissingDependencyError: as :func:`make_engine`.
    """
    name = check_choice("engine", name, ENGINES)
    if workers is not None:
        check_number("workers", workers, low=1, integer=True)
    check_number("num_gpus", num_gpus, low=0)
    if name == "local" and (num_gpus or address is not None):
        raise InvalidOptionError(
            "num_gpus and address apply to engine='ray'; the local engine runs on this "
            "machine's CPUs"
        )
    if name == "ray":
        from ._ray import _require_ray

        _require_ray()  # a missing Ray is one clear error, before anything runs
    return name


def make_engine(
    name: str = "local",
    *,
    workers: int | None = None,
    num_gpus: float = 0,
    address: str | None = None,
) -> Engine:
    """The engine called ``name``, checked before anything runs (:func:`check_engine`).

    Args:
        name: ``"local"`` (:class:`~spotdiff.batch.LocalEngine`: worker processes of this
            machine) or ``"ray"`` (:class:`~spotdiff.batch.RayEngine`: Ray actors; needs
            ``pip install 'spotdiff[ray]'``).
        workers: local processes, or Ray actors (None: the cores / the cluster's CPUs).
        num_gpus: GPUs per Ray actor (``"ray"`` only; 0: CPU actors).
        address: the Ray cluster to join (``"ray"`` only; None: ``RAY_ADDRESS`` or a local one).

    Raises:
        InvalidOptionError: an unknown name, bad ``workers``, or Ray options for ``"local"``.
        MissingDependencyError: ``"ray"`` without Ray installed (names the extra).
    """
    name = check_engine(name, workers=workers, num_gpus=num_gpus, address=address)
    if name == "local":
        return LocalEngine(workers)
    from ._ray import RayEngine

    return RayEngine(workers, num_gpus=num_gpus, address=address)
