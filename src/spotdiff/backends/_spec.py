"""Model weights described as data, and where to find them.

A :class:`WeightsSpec` names a backend's default weights (a Hugging Face hub id or a file name),
the files a local copy must hold, the spotdiff extra that installs its library and the
preprocessing the weights expect. Resolution order, for every backend:

1. an explicit local path (a directory for transformers models, a file for FastSAM);
2. Data-Juicer's model homes, so a Data-Juicer installation's downloads are reused:
   ``$DATA_JUICER_EXTERNAL_MODELS_HOME/<name>`` and, for FastSAM,
   ``$DATA_JUICER_MODELS_CACHE/<file>`` (default ``~/.cache/data_juicer/models``);
3. the Hugging Face cache (``$HF_HUB_CACHE``, else ``$HF_HOME/hub``, else
   ``~/.cache/huggingface/hub``);
4. a download, unless ``HF_HUB_OFFLINE`` (or ``TRANSFORMERS_OFFLINE``) is set.

The environment is read at each call (not at import), so a test or a worker can change it.
When weights are missing and cannot be fetched, :class:`~spotdiff._errors.WeightsNotFoundError`
names the exact paths that were searched.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from .._errors import WeightsNotFoundError

__all__ = [
    "BLIP_ITM",
    "CLIP",
    "FASTSAM",
    "SPECS",
    "WeightsSpec",
    "data_juicer_model_dirs",
    "hf_cache_dir",
    "hub_cache_path",
    "hub_offline",
    "local_candidates",
]

_TRUE = {"1", "true", "yes", "on"}
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


@dataclass(frozen=True)
class WeightsSpec:
    """Where a backend's weights come from and what they expect.

    Attributes:
        name: backend name (``"clip"``, ``"blip_itm"``, ``"fastsam"``).
        default: default source: a hub id (``"openai/clip-vit-base-patch32"``) or a file name
            (``"FastSAM-x.pt"``).
        required: files a local copy must contain (``("config.json",)``).
        library: import name of the library that loads it (``"transformers"``).
        extra: spotdiff extra that installs the library.
        preprocessing: what the weights expect, in words (for docs and error messages).
    """

    name: str
    default: str
    required: tuple[str, ...]
    library: str
    extra: str
    preprocessing: str


CLIP = WeightsSpec(
    name="clip",
    default="openai/clip-vit-base-patch32",
    required=("config.json", "preprocessor_config.json"),
    library="transformers",
    extra="models",
    preprocessing="RGB, shorter side resized to 224 (bicubic), centre crop 224, CLIP mean/std",
)
BLIP_ITM = WeightsSpec(
    name="blip_itm",
    default="Salesforce/blip-itm-base-coco",
    required=("config.json", "preprocessor_config.json"),
    library="transformers",
    extra="models",
    preprocessing="RGB resized to 384x384 (bicubic), CLIP mean/std; BERT word pieces",
)
FASTSAM = WeightsSpec(
    name="fastsam",
    default="FastSAM-x.pt",
    required=(),
    library="ultralytics",
    extra="fastsam",
    preprocessing="BGR uint8, letterboxed to imgsz (ultralytics does it)",
)

SPECS: dict[str, WeightsSpec] = {s.name: s for s in (CLIP, BLIP_ITM, FASTSAM)}


def hub_offline() -> bool:
    """True when ``HF_HUB_OFFLINE`` or ``TRANSFORMERS_OFFLINE`` is set to a true value."""
    return any(
        os.environ.get(var, "").strip().lower() in _TRUE
        for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def hf_cache_dir() -> Path:
    """The Hugging Face hub cache: ``$HF_HUB_CACHE``, ``$HF_HOME/hub`` or the default."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", "~/.cache"), "huggingface"
    )
    return Path(home).expanduser() / "hub"


def hub_cache_path(repo_id: str) -> Path:
    """Folder of ``repo_id`` in the hub cache (``models--org--name``)."""
    return hf_cache_dir() / ("models--" + repo_id.replace("/", "--"))


def data_juicer_model_dirs() -> list[Path]:
    """Data-Juicer's model folders: ``$DATA_JUICER_EXTERNAL_MODELS_HOME`` entries, then its cache."""
    dirs = [
        Path(p.strip()).expanduser()
        for p in os.environ.get("DATA_JUICER_EXTERNAL_MODELS_HOME", "").split(os.pathsep)
        if p.strip()
    ]
    cache_home = os.environ.get("DATA_JUICER_CACHE_HOME") or os.path.join(
        os.environ.get("CACHE_HOME", "~/.cache"), "data_juicer"
    )
    models = os.environ.get("DATA_JUICER_MODELS_CACHE") or os.path.join(cache_home, "models")
    dirs.append(Path(models).expanduser())
    return dirs


def local_candidates(source: str) -> list[Path]:
    """Local paths that may hold ``source``: itself, then under Data-Juicer's model folders."""
    path = Path(source).expanduser()
    out = [path]
    if not path.is_absolute():
        out += [d / source for d in data_juicer_model_dirs()]
    return out


def is_hub_id(source: str) -> bool:
    """Whether ``source`` reads as a hub id (``org/name`` or ``name``), not a path."""
    return bool(_HUB_ID.match(source)) and not source.startswith((".", "~"))


def missing_weights(spec: WeightsSpec, source: str, searched: list[Path], why: str) -> Exception:
    """A :class:`WeightsNotFoundError` naming the paths searched and what to do."""
    paths = ", ".join(str(p) for p in searched)
    return WeightsNotFoundError(
        f"{spec.name} weights {source!r} not found ({why}); searched: {paths}. "
        f"Put the weights at one of those paths (for a hub id: run `hf download {source}` "
        "on a machine with internet and copy the cache, or pass a local directory), unset "
        "HF_HUB_OFFLINE to allow a download, or use backend='classical' (no model weights)"
    )
