"""The ``--config`` file of ``spotdiff imgdiff``: a YAML / JSON mapping or a Data-Juicer recipe.

Every problem with the file is one :class:`~spotdiff._errors.InvalidOptionError` that names the
file (and, for a syntax error, the line and column) and says what to do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .._errors import InvalidOptionError

__all__ = ["CONFIG_KEYS", "load_config"]

_OP_NAMES = (
    "spotdiff_difference_area_generator_mapper",
    "imgdiff_difference_area_generator_mapper",
)
CONFIG_KEYS = {
    "image_pair_similarity_filter_args",
    "image_segment_mapper_args",
    "image_text_matching_filter_args",
    "backend",
    "device",
    "batch_size",
    "crop_batch_size",
    "meta_key",
    "find_options",
    "accelerator",
    "num_proc",
}
_FIX = "see 'spotdiff imgdiff --help' for the options a config file holds"


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _parse_config(path: Path, text: str) -> Any:
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text) if text.strip() else None
        except json.JSONDecodeError as exc:
            raise InvalidOptionError(
                f"--config {path}: not valid JSON at line {exc.lineno}, column {exc.colno}: "
                f"{exc.msg}; fix the file ({_FIX})"
            ) from exc
    from .._optional import require

    yaml = require("yaml", purpose="reading --config YAML files")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
        raise InvalidOptionError(
            f"--config {path}: not valid YAML{where}: {problem}; fix the file ({_FIX})"
        ) from exc


def load_config(path: Path) -> dict[str, Any]:
    """The operator's keyword arguments from a YAML / JSON file (plain or a Data-Juicer recipe).

    Raises:
        InvalidOptionError: the file is missing, not UTF-8, not valid YAML / JSON (the message
            gives the line and column), not a mapping, or has unknown or mistyped options.
    """
    path = Path(path)
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "no such file"
        raise InvalidOptionError(f"--config {path}: {what}; pass a YAML or JSON file ({_FIX})")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidOptionError(
            f"--config {path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
            f"{exc.start}); save it as UTF-8"
        ) from exc
    data = _parse_config(path, text)
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise InvalidOptionError(
            f"--config {path}: expected a mapping of options (name: value), got a {_kind(data)}; "
            + _FIX
        )
    if "process" in data:
        process = data["process"]
        if not isinstance(process, list):
            raise InvalidOptionError(
                f"--config {path}: a recipe's process must be a list of operators, got a "
                f"{_kind(process)}"
            )
        found = [(n, op[n]) for op in process if isinstance(op, dict) for n in _OP_NAMES if n in op]
        if not found:
            raise InvalidOptionError(
                f"--config {path}: the recipe's process list has no {' or '.join(_OP_NAMES)}"
            )
        name, data = found[0]
        data = {} if data is None else data
        if not isinstance(data, dict):
            raise InvalidOptionError(
                f"--config {path}: {name} must hold a mapping of options, got a {_kind(data)}"
            )
    unknown = sorted(set(data) - CONFIG_KEYS)
    if unknown:
        raise InvalidOptionError(
            f"--config {path}: unknown option(s) {', '.join(map(str, unknown))}; valid: "
            f"{', '.join(sorted(CONFIG_KEYS))}"
        )
    for key, kinds, expected in (
        ("backend", (str, dict), "auto, models, classical or a mapping step: mode"),
        ("find_options", (dict,), "a mapping of spotdiff.find options"),
        ("device", (str,), "a torch device name such as cpu or cuda:0"),
    ):
        if data.get(key) is not None and not isinstance(data[key], kinds):
            raise InvalidOptionError(
                f"--config {path}: {key} must be {expected}, got {data[key]!r}"
            )
    data = dict(data)
    if "crop_batch_size" in data:
        data["batch_size"] = data.pop("crop_batch_size")
    data.pop("num_proc", None)
    return data
