"""Optional dependencies load lazily; a missing one names the extra to install."""

from __future__ import annotations

import subprocess
import sys

import pytest

from spotdiff._errors import MissingDependencyError
from spotdiff._optional import require


def test_require_returns_the_module():
    import json

    assert require("json") is json


@pytest.mark.parametrize(
    ("module", "extra"),
    [("transformers_not_here.x", "all"), ("skimage_missing", "all")],
)
def test_missing_module_names_the_extra(module, extra):
    with pytest.raises(MissingDependencyError, match=rf"pip install 'spotdiff\[{extra}\]'"):
        require(module, purpose="a test")


def test_known_packages_map_to_their_extra(monkeypatch):
    import importlib

    real = importlib.import_module

    def fake(name, *args, **kwargs):
        if name.split(".")[0] in ("torch", "ultralytics"):
            raise ImportError(f"No module named {name!r}")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(importlib, "import_module", fake)
    with pytest.raises(MissingDependencyError, match=r"spotdiff\[torch\].*constraints.txt"):
        require("torch", purpose="difference maps")
    with pytest.raises(MissingDependencyError, match=r"ultralytics is required for FastSAM"):
        require("ultralytics", purpose="FastSAM")


def test_import_spotdiff_loads_neither_torch_nor_opencv():
    code = (
        "import sys, spotdiff; "
        "bad = [m for m in ('torch', 'cv2', 'transformers', 'ultralytics') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
