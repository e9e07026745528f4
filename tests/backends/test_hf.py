"""HFBackend (backends/_hf.py): the batched vision forward passes the CLIP and BLIP backends
share. Loading (locate, resolve_and_load) is tested in test_spec.py."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from spotdiff.backends._hf import HFBackend  # noqa: E402


class _Processor:
    """Stands in for a transformers image processor: (n, 3, 2, 2) pixels, image i filled with
    its width."""

    def __call__(self, *, images, return_tensors):
        assert return_tensors == "pt"
        widths = [float(im.size[0]) for im in images]
        return {"pixel_values": torch.tensor(widths).reshape(-1, 1, 1, 1).expand(-1, 3, 2, 2)}


class _Backend(HFBackend):
    name = "fake"


def test_vision_batches_chunks_counts_and_runs_in_inference_mode():
    backend = _Backend(None, _Processor(), source="here", device="cpu", batch_size=2)
    images = [np.zeros((3, w, 3), np.uint8) for w in (1, 2, 3, 4, 5)]
    modes = []

    def forward(pixels):
        modes.append(torch.is_inference_mode_enabled())
        return pixels[:, 0, 0, 0].tolist()

    tally = Counter()
    out = list(backend.vision_batches(images, forward, tally=tally, passes=("a", "b")))
    assert out == [(0, [1.0, 2.0]), (2, [3.0, 4.0]), (4, [5.0])]
    assert tally == {"a": 3, "b": 3} and modes == [True, True, True]
    assert not torch.is_inference_mode_enabled()  # only around each forward call
    assert list(backend.vision_batches([], forward)) == []


def test_repr_names_the_subclass_source_and_device():
    backend = _Backend("model", "processor", source="org/model", device="cpu", batch_size=7)
    assert repr(backend) == "_Backend(source='org/model', device='cpu')"
    assert backend.batch_size == 7 and backend.model == "model"


@pytest.mark.parametrize(
    ("images", "message"),
    [(np.zeros((4, 5, 3), np.uint8),  # one image, not a list: its rows are 2-D (5, 3) items
      r"images\[0\] must have shape \(H, W, 3\), got \(5, 3\)"),
     ([np.zeros((4, 5, 3), np.uint8), np.zeros((4, 5), np.uint8)],
      r"images\[1\] must have shape \(H, W, 3\), got \(4, 5\)"),
     ([np.zeros((4, 5, 3), np.uint8)] * 3 + [np.zeros((4, 5, 3), np.float32)],
      r"images\[3\] must be uint8, got dtype float32"),
     ([np.zeros((0, 5, 3), np.uint8)], r"images\[0\] is empty"),
     (["a.png"], r"images\[0\] must be a numpy array")],
    ids=["one-array", "grey", "float", "empty", "path"],
)  # fmt: skip
def test_vision_batches_checks_every_image_before_the_first_pass(images, message):
    # regression: one (H, W, 3) array passed as the list ran the model on its rows
    from spotdiff._errors import LayoutError

    backend = _Backend(None, _Processor(), source="here", device="cpu", batch_size=2)
    calls = []
    tally = Counter()
    with pytest.raises(LayoutError, match=message):
        list(backend.vision_batches(images, calls.append, tally=tally, passes=("a",)))
    assert calls == [] and tally == {}
