"""FastSAM backend: the call it makes (with a stand-in model), then the real ultralytics with a
tiny YOLOv8-seg checkpoint built from ultralytics' bundled yaml (random weights, no download)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from spotdiff import ImageReadError, MissingDependencyError, WeightsNotFoundError
from spotdiff.backends import FastSamSegmenter
from spotdiff.backends.tiny import planted_pair
from spotdiff.imgdiff import DifferenceAreaGenerator


class _Boxes:
    def __init__(self, xyxy):
        self.xyxy = _T(np.asarray(xyxy, np.float32).reshape(-1, 4))

    def __len__(self):
        return len(self.xyxy.a)


class _T:  # the .cpu().numpy() chain of a torch tensor
    def __init__(self, a):
        self.a = a

    def cpu(self):
        return self

    def numpy(self):
        return self.a


class _Result:
    def __init__(self, xyxy):
        self.boxes = _Boxes(xyxy)


class StandInFastSAM:
    """Records what ultralytics' FastSAM would receive and answers fixed boxes."""

    def __init__(self):
        self.calls = []

    def __call__(self, source, **kwargs):
        self.calls.append((source, kwargs))
        return [_Result([[1, 2, 10, 20], [0, 0, 5, 5]]), _Result(np.zeros((0, 4)))]


def test_segmenter_sends_bgr_batch_with_data_juicer_settings():
    img1, img2 = planted_pair()
    model = StandInFastSAM()
    seg = FastSamSegmenter(
        model, source="FastSAM-x.pt", device="cpu", imgsz=1024, conf=0.05, iou=0.5
    )
    tally = Counter()
    b1, b2 = seg.propose(img1, img2, tally=tally)
    ((source, kwargs),) = model.calls
    assert len(source) == 2
    np.testing.assert_array_equal(source[0], img1[..., ::-1])  # ultralytics reads arrays as BGR
    assert kwargs == {"retina_masks": True, "imgsz": 1024, "conf": 0.05, "iou": 0.5,
                      "device": "cpu", "verbose": False}  # fmt: skip
    np.testing.assert_array_equal(b1, [[1, 2, 10, 20], [0, 0, 5, 5]])
    assert b1.dtype == np.float32 and b2.shape == (0, 4)
    assert tally == {"fastsam": 1}


def test_models_backend_without_ultralytics_raises_and_auto_falls_back(monkeypatch):
    monkeypatch.setitem(sys.modules, "ultralytics", None)  # as if not installed
    op = DifferenceAreaGenerator(backend={"segmentation": "models", "similarity": "classical",
                                          "matching": "classical"})  # fmt: skip
    with pytest.raises(MissingDependencyError, match="spotdiff\\[fastsam\\]"):
        op.prepare()
    op = DifferenceAreaGenerator(backend={"similarity": "classical", "matching": "classical"})
    backends = op.prepare()
    assert backends.names["segmentation"] == "find"
    assert backends.reasons == {"segmentation": "ultralytics not installed"}
    assert "segmentation: find (ultralytics not installed)" in backends.describe()
    assert any("spotdiff[fastsam]" in n for n in backends.notes[1:])  # the full reason


@pytest.fixture
def ultralytics_without_network(tmp_path, monkeypatch, empty_model_caches):
    """An installed ``ultralytics`` whose FastSAM download raises a bare ConnectionError, as the
    real one does without network; downloads look allowed (the probe answers)."""
    from spotdiff.backends import _network

    package = tmp_path / "site" / "ultralytics"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        "CALLS = []\n"
        "class FastSAM:\n"
        "    def __init__(self, weights):\n"
        "        CALLS.append(weights)\n"
        "        raise ConnectionError(f'Download failure for {weights}: no internet')\n"
    )
    monkeypatch.delitem(sys.modules, "ultralytics", raising=False)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    for var in _network.OFFLINE_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(_network, "reachable", lambda host: True)
    yield
    sys.modules.pop("ultralytics", None)


def test_ultralytics_connection_error_is_a_weights_error_naming_the_paths(
    ultralytics_without_network, empty_model_caches
):
    from spotdiff.backends import load_fastsam

    with pytest.raises(WeightsNotFoundError) as err:
        load_fastsam("FastSAM-x.pt", device="cpu")
    message = str(err.value)
    assert "ConnectionError: Download failure for FastSAM-x.pt" in message
    assert str(empty_model_caches / "FastSAM-x.pt") in message
    assert str(empty_model_caches / "djm" / "FastSAM-x.pt") in message
    assert sys.modules["ultralytics"].CALLS == ["FastSAM-x.pt"]


def test_ultralytics_connection_error_falls_back_under_auto(ultralytics_without_network):
    op = DifferenceAreaGenerator(backend={"similarity": "classical", "matching": "classical"})
    backends = op.prepare()
    assert backends.names["segmentation"] == "find"
    assert backends.reasons == {
        "segmentation": "fastsam weights not found locally, download failed"
    }
    models = DifferenceAreaGenerator(
        backend={"similarity": "classical", "segmentation": "models", "matching": "classical"}
    )
    with pytest.raises(WeightsNotFoundError, match="ConnectionError"):
        models.prepare()


# --- the real ultralytics, with a tiny YOLOv8-seg checkpoint built here (no download) ------------

_CHILD_ENV_DROP = ("YOLO_OFFLINE", "YOLO_AUTOINSTALL", "YOLO_CONFIG_DIR", "SPOTDIFF_HOME")
# ultralytics is part of the install (.ci/run: extra `all`); where it is not installed at all,
# these tests say so and skip. Installed but broken (e.g. torchvision) is an error, never a skip.
_NO_ULTRALYTICS = importlib.util.find_spec("ultralytics") is None
needs_ultralytics = pytest.mark.skipif(
    _NO_ULTRALYTICS,
    reason="ultralytics is not installed (pip install -c constraints.txt -e '.[fastsam]')",
)


@pytest.fixture(scope="module")
def tiny_fastsam(tmp_path_factory):
    """A YOLOv8n-seg built from ultralytics' bundled yaml with random weights (seed 0), its class
    biases raised so that random weights still give boxes, saved as ultralytics saves
    checkpoints (``Model.save``: the half-precision module plus metadata)."""
    if _NO_ULTRALYTICS:
        pytest.skip(needs_ultralytics.kwargs["reason"])
    import torch

    from spotdiff.backends.fastsam import import_ultralytics

    ultralytics = import_ultralytics()
    yaml = Path(ultralytics.__file__).parent / "cfg" / "models" / "v8" / "yolov8-seg.yaml"
    assert yaml.is_file()
    torch.manual_seed(0)
    model = ultralytics.YOLO("yolov8n-seg.yaml")  # scale n of that yaml
    head = model.model.model[-1]
    for branch in head.cv3:  # class logits: sigmoid(4) = 0.98 before the random part
        branch[-1].bias.data.fill_(4.0)
    path = tmp_path_factory.mktemp("fastsam") / "tiny-yolov8n-seg.pt"
    model.save(path)
    return path


def _sizes_pair():
    img1, _ = planted_pair(size=(256, 192))
    _, img2 = planted_pair(size=(200, 160))
    return img1, img2


def test_tiny_checkpoint_through_get_backend_one_batched_forward(tiny_fastsam):
    from spotdiff.backends import get_backend

    seg = get_backend(
        "segmentation", "fastsam", model_path=str(tiny_fastsam), imgsz=128, device="cpu"
    )
    assert isinstance(seg, FastSamSegmenter) and seg.source == str(tiny_fastsam)
    forwards = []
    hook = seg.model.model.register_forward_hook(
        lambda module, inputs, output: forwards.append(tuple(inputs[0].shape))
    )
    try:
        img1, img2 = _sizes_pair()
        tally = Counter()
        b1, b2 = seg.propose(img1, img2, tally=tally)
    finally:
        hook.remove()
    assert forwards == [(2, 3, 128, 128)]  # both images in one forward pass of the network
    assert tally == {"fastsam": 1}
    for boxes, (h, w) in ((b1, img1.shape[:2]), (b2, img2.shape[:2])):
        assert boxes.dtype == np.float32 and boxes.ndim == 2 and boxes.shape[1] == 4
        assert len(boxes) > 0
        assert (boxes[:, :2] >= 0).all() and (boxes[:, 2] <= w).all() and (boxes[:, 3] <= h).all()
        assert (boxes[:, 2:] >= boxes[:, :2]).all()
    again = seg.propose(img1, img2)
    np.testing.assert_array_equal(again[0], b1)
    np.testing.assert_array_equal(again[1], b2)


def test_tiny_checkpoint_runs_the_imgdiff_segmentation_step(tiny_fastsam):
    op = DifferenceAreaGenerator(
        image_segment_mapper_args={"model_path": str(tiny_fastsam), "imgsz": 128},
        backend={"similarity": "classical", "segmentation": "models", "matching": "classical"},
        device="cpu",
    )
    backends = op.prepare()
    assert backends.names["segmentation"] == "fastsam"
    img1, img2 = _sizes_pair()
    out = op.process_single({"image_path1": img1, "image_path2": img2,
                             "caption1": "A red box.", "caption2": "A box."})  # fmt: skip
    summary = out["__dj__meta__"]["spotdiff_imgdiff"]
    assert summary["backends"]["segmentation"] == "fastsam"
    assert summary["forward_passes"]["fastsam"] == 1
    assert summary["counts"]["candidates"] > 0


def test_ultralytics_environment_and_user_values(monkeypatch, tmp_path):
    from spotdiff.backends.fastsam import ultralytics_config_dir, ultralytics_environment

    for var in _CHILD_ENV_DROP:
        monkeypatch.delenv(var, raising=False)
    default = ultralytics_config_dir()
    assert default.parent == Path(tempfile.gettempdir())
    assert default.name.startswith("spotdiff-ultralytics-")
    assert ultralytics_environment() == {"YOLO_OFFLINE": "True", "YOLO_AUTOINSTALL": "False",
                                         "YOLO_CONFIG_DIR": str(default)}  # fmt: skip
    monkeypatch.setenv("SPOTDIFF_HOME", str(tmp_path / "sd"))
    assert ultralytics_config_dir() == tmp_path / "sd" / "ultralytics"
    monkeypatch.setenv("YOLO_CONFIG_DIR", str(tmp_path / "mine"))
    assert ultralytics_config_dir() == tmp_path / "mine"  # the user's own value wins


_CHILD = """
import json, os, sys
import numpy as np
from spotdiff.backends import load_fastsam
seg = load_fastsam(sys.argv[1], imgsz=64, device="cpu")
b1, b2 = seg.propose(np.zeros((48, 64, 3), np.uint8), np.full((40, 50, 3), 200, np.uint8))
import ultralytics.utils as u, ultralytics.utils.checks as c
print(json.dumps({"online": u.ONLINE, "autoinstall": c.AUTOINSTALL,
                  "settings": str(u.SETTINGS_FILE), "env": {k: os.environ[k] for k in
                  ("YOLO_OFFLINE", "YOLO_AUTOINSTALL", "YOLO_CONFIG_DIR")}}))
"""


def test_ultralytics_offline_no_autoinstall_nothing_written_to_home_or_cwd(tiny_fastsam, tmp_path):
    home, cwd, tmp = tmp_path / "home", tmp_path / "cwd", tmp_path / "tmp"
    for d in (home, cwd, tmp):
        d.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in _CHILD_ENV_DROP}
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "MPLCONFIGDIR"):  # their defaults: home
        env.pop(var, None)
    env.update(HOME=str(home), TMPDIR=str(tmp))
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(tiny_fastsam)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["online"] is False and report["autoinstall"] is False
    config = tmp / f"spotdiff-ultralytics-{os.getuid()}"
    assert report["env"] == {"YOLO_OFFLINE": "True", "YOLO_AUTOINSTALL": "False",
                             "YOLO_CONFIG_DIR": str(config)}  # fmt: skip
    assert Path(report["settings"]) == config / "Ultralytics" / "settings.json"
    assert Path(report["settings"]).is_file()
    assert sorted(p.name for p in home.rglob("*")) == []
    assert sorted(p.name for p in cwd.rglob("*")) == []


def _not_an_image(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"this is not an image at all")
    return bad


def test_corrupt_image_message_unchanged_after_importing_ultralytics(tiny_fastsam, tmp_path):
    from PIL import Image

    from spotdiff.io import _decode, read_image

    assert Image.open is not _decode._PIL_OPEN  # ultralytics' replacement is in place
    bad = _not_an_image(tmp_path)
    with pytest.raises(ImageReadError, match="not an image spotdiff can read"):
        read_image(bad)


@needs_ultralytics
def test_corrupt_image_message_unchanged_when_ultralytics_was_imported_first(tmp_path):
    bad = _not_an_image(tmp_path)
    code = (
        "import os, sys\n"
        "os.environ.update(YOLO_OFFLINE='True', YOLO_AUTOINSTALL='False',"
        f" YOLO_CONFIG_DIR={str(tmp_path / 'cfg')!r})\n"
        "import ultralytics\n"  # before spotdiff: PIL.Image.open is already replaced
        "from PIL import Image\n"
        "from spotdiff.io import _decode, read_image\n"
        "from spotdiff import ImageReadError\n"
        "assert _decode._PIL_OPEN is not Image.open\n"
        "try:\n"
        "    read_image(sys.argv[1])\n"
        "except ImageReadError as exc:\n"
        "    print(exc)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(bad)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith(
        "bad.png: not an image spotdiff can read (supported: PNG, JPEG, WebP, BMP, TIFF, GIF)"
    )
