"""Engines by name: what ``engine="local" | "ray"`` and ``--engine`` make."""

from __future__ import annotations

from .._errors import InvalidOptionError
from .._validate import check_choice
from ._local import Engine, LocalEngine

__all__ = ["ENGINES", "make_engine"]

#: The engine names, in the order the help lists them.
ENGINES = ("local", "ray")


def make_engine(
    name: str = "local",
    *,
    workers: int | None = None,
    num_gpus: float = 0,
    address: str | None = None,
) -> Engine:
    """The engine called ``name``, checked before anything runs.

    Args:
        name: ``"local"`` (:class:`~spotdiff.batch.LocalEngine`: worker processes of this
            machine) or ``"ray"`` (:class:`~spotdiff.batch.RayEngine`: Ray Data actors; needs
            ``pip install 'spotdiff[ray]'``).
        workers: local processes, or Ray actors (None: the cores / the cluster's CPUs).
        num_gpus: GPUs per Ray actor (``"ray"`` only; 0: CPU actors).
        address: the Ray cluster to join (``"ray"`` only; None: ``RAY_ADDRESS`` or a local one).

    Raises:
        InvalidOptionError: an unknown name, bad ``workers``, or Ray options for ``"local"``.
        MissingDependencyError: ``"ray"`` without Ray installed (names the extra).
    """
    name = check_choice("engine", name, ENGINES)
    if name == "local":
        if num_gpus or address is not None:
            raise InvalidOptionError(
                "num_gpus and address apply to engine='ray'; the local engine runs on this "
                "machine's CPUs"
            )
        return LocalEngine(workers)
    from ._ray import RayEngine

    return RayEngine(workers, num_gpus=num_gpus, address=address)
