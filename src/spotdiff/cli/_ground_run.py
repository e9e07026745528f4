"""Running ``spotdiff ground --batch``: grounding as a batch task, its settings, its default
number of workers and the accuracy line at the end.

The command's options and their parsing stay in :mod:`.ground`; this module receives the ranker
resolved from them.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..batch import Engine
    from ..batch._jsonl import InputLine
    from ..grounding.rankers import Ranker

__all__ = ["GroundTask", "ground_row", "ground_settings", "run_ground_batch"]


@dataclass(frozen=True)
class GroundTask:
    """One ``--batch`` line grounded (a :class:`spotdiff.batch.Task`).

    Attributes:
        backend: the resolved ranker's name (``"cues"``, ``"clip"``): a worker builds the same
            one, never ``"auto"`` again.
        options: :func:`spotdiff.grounding.resolve_ranker`'s ``device``, ``batch_size`` and
            ``options`` (``clip``, ``blip``); empty for ``"cues"``.
        top_k, sensitivity: :func:`spotdiff.ground`'s options.
        id_field: ``--id-field``; root: the folder of relative image paths.
        ranker: the ranker built in this process (used when the task runs here; not pickled:
            a worker process builds its own in ``setup``, loading its models once).
    """

    backend: str
    options: dict[str, Any]
    top_k: int | None
    sensitivity: float | None
    id_field: str | None
    root: Path
    ranker: Ranker | None = field(default=None, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "ranker": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def setup(self) -> Ranker:
        if self.ranker is not None:
            return self.ranker
        from ..grounding import resolve_ranker

        return resolve_ranker(self.backend, **self.options)

    def run(self, state: Ranker, payload: InputLine) -> dict[str, Any]:
        from ._jsonl_run import line_record

        def work(row: dict[str, Any]) -> dict[str, Any]:
            return {**row, **ground_row(row, state, self)}

        return line_record(payload, self.id_field, work)


def ground_row(row: dict[str, Any], ranker: Ranker, task: GroundTask) -> dict[str, Any]:
    """The fields ``--batch`` adds to a row: ``results`` (per query: ``query``, ``parsed``,
    ``box``, ``score``, ``regions``, and with a truth box ``truth`` and ``iou``), ``size``,
    ``backend``."""
    from ..evaluation.grounding import grounding_ious, parse_grounding_row
    from ..grounding import prepare_grounding
    from .ground import ground_record

    parsed = parse_grounding_row(row, root=task.root)
    pair = prepare_grounding(parsed.image1, parsed.image2, sensitivity=task.sensitivity)
    results = pair.ground(list(parsed.queries), backend=ranker, top_k=task.top_k)
    out = []
    for i, (text, result) in enumerate(zip(parsed.queries, results, strict=True)):
        record = ground_record(parsed.image1, parsed.image2, result)
        top = record["regions"][0] if record["regions"] else None
        item = {
            "query": text,
            "parsed": record["query"],
            "box": top["box"] if top else None,
            "score": top["score"] if top else None,
            "regions": record["regions"],
        }
        if parsed.boxes is not None:
            pred = [top["box"] if top else None]
            item["truth"] = [float(v) for v in parsed.boxes[i]]
            item["iou"] = round(float(grounding_ious(pred, parsed.boxes[i : i + 1])[0]), 4)
        out.append(item)
    return {"results": out, "size": record["size"], "backend": ranker.name}


def run_ground_batch(
    batch: Path,
    output: Path,
    task: GroundTask,
    *,
    settings: dict[str, Any],
    engine: Engine | None,
    retry_errors: bool,
    overwrite: bool,
) -> int:
    """Every line of ``batch`` grounded into ``output`` (resumable); the accuracy line over
    OUTPUT at the end; return the failed rows of the final OUTPUT. ``settings``:
    :func:`ground_settings`; ``engine`` None: 1 process for a model ranker (one model copy
    per worker), else the machine's cores."""
    from ._batch_run import model_engine
    from ._jsonl_run import run_manifest

    engine = engine or model_engine(None, "local", models=task.backend != "cues")
    failed = run_manifest(
        batch,
        output,
        task,
        engine=engine,
        id_field=task.id_field,
        settings=settings,
        retry_errors=retry_errors,
        overwrite=overwrite,
        description="ground",
    )
    _print_accuracy(output)
    return failed


def ground_settings(
    backend: str,
    models: dict[str, Any],
    *,
    top_k: int | None,
    sensitivity: float | None,
    id_field: str | None,
    root: Path,
) -> dict[str, Any]:
    """What the rows depend on (a resume needs it equal): the backend asked for and its
    ``models`` (``clip``, ``blip``), ``top_k``, ``sensitivity``, the keys and the image folder. Not the device, batch
    size or number of workers, nor what ``"auto"`` resolved to (each row records its
    ``backend``)."""
    return {
        "command": "ground",
        "backend": backend.strip().lower(),
        "models": models,
        "top_k": top_k,
        "sensitivity": sensitivity,
        "id_field": id_field,
        "root": str(root.resolve()),
    }


def _print_accuracy(output: Path) -> None:
    """Acc@0.3/0.5/0.7 and mean IoU over every query of OUTPUT that has a truth box."""
    import numpy as np

    from ..evaluation.grounding import THRESHOLDS

    ious = []
    if not output.exists():  # an empty input: no row written
        return
    with open(output, encoding="utf-8") as fh:
        for line in fh:
            try:
                row = json.loads(line)
            except ValueError:
                continue
            for item in row.get("results", []) if isinstance(row, dict) else []:
                if isinstance(item, dict) and isinstance(item.get("iou"), int | float):
                    ious.append(float(item["iou"]))
    if not ious:
        return
    v = np.asarray(ious)
    acc = ", ".join(f"Acc@{t:g} {(v >= t).mean():.3f}" for t in THRESHOLDS)
    sys.stdout.write(f"{len(v)} queries with a truth box: {acc}, mean IoU {v.mean():.3f}\n")
    sys.stdout.flush()
