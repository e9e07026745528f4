"""Running ``spotdiff imgdiff IN.jsonl``: the ImgDiff operator as a batch task, its settings and
its default number of workers.

The command's options and their parsing stay in :mod:`.imgdiff`; this module receives the
operator built from them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..batch import Engine
    from ..imgdiff import Backends, DifferenceAreaGenerator

__all__ = ["ImgdiffTask", "imgdiff_settings", "run_imgdiff", "uses_models"]


@dataclass(frozen=True)
class ImgdiffTask:
    """``DifferenceAreaGenerator.process_single`` on one input line (a
    :class:`spotdiff.batch.Task`).

    The operator pickles without its models: each worker process loads its own in ``setup``
    (once); run in this process (one worker) it reuses the backends already prepared here.
    """

    op: DifferenceAreaGenerator
    id_field: str | None
    image_root: Path | None

    def setup(self) -> Backends:
        return self.op.prepare()

    def run(self, state: Backends, payload: Any) -> dict[str, Any]:
        from ..batch._jsonl import join_image_root
        from ._jsonl_run import line_record

        if payload.row is not None:
            payload = replace(payload, row=join_image_root(payload.row, self.image_root))
        return line_record(payload, self.id_field, self.op.process_single)


def uses_models(backends: Backends) -> bool:
    """Whether any step of ``backends`` runs a model (CLIP, FastSAM, BLIP, a registered one)."""
    from .._errors import UnknownNameError
    from ..backends import backend_entry
    from ..imgdiff.area import ROLE_STEPS

    for step in ROLE_STEPS:
        name = backends.names.get(step, "skipped")
        if name == "skipped":
            continue
        try:
            if backend_entry(step, name).model:
                return True
        except UnknownNameError:  # a label that is no registered name: count it as a model
            return True
    return False


def imgdiff_settings(
    op: DifferenceAreaGenerator, id_field: str | None, root: Path | None
) -> dict[str, Any]:
    """What the rows depend on (a resume needs it equal): the operator's options, the keys and
    the image folder. Not the device, batch size or number of workers (a run may go on
    elsewhere with the same rows), nor what ``backend="auto"`` resolved to (known only once the
    models load; each row records its backends)."""
    return {
        "command": "imgdiff",
        "config": op.config.to_dict(),
        "backend": op.backend,
        "meta_key": op.meta_key,
        "id_field": id_field,
        "image_root": None if root is None else str(root.resolve()),
    }


def run_imgdiff(
    input_path: Path,
    output: Path,
    op: DifferenceAreaGenerator,
    backends: Backends,
    *,
    engine: Engine | None,
    id_field: str | None,
    image_root: Path | None,
    retry_errors: bool,
    overwrite: bool,
) -> int:
    """Every line of ``input_path`` through ``op`` into ``output`` (resumable); return the
    failed rows of the final OUTPUT. ``engine`` None: 1 process when a model runs, else the cores."""
    from ._batch_run import model_engine
    from ._jsonl_run import run_manifest

    # 1 worker when a model runs (one model copy each), else the cores
    engine = engine or model_engine(None, "local", models=uses_models(backends))
    return run_manifest(
        input_path,
        output,
        ImgdiffTask(op, id_field, image_root),
        engine=engine,
        id_field=id_field,
        settings=imgdiff_settings(op, id_field, image_root),
        retry_errors=retry_errors,
        overwrite=overwrite,
        description="imgdiff",
    )
