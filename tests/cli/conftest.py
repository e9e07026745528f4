"""Fixtures of the CLI tests: a synthetic scene, the same scene with a planted change, files and
directories of them (the ``find`` tests); a JSONL batch command run with 1 and 2 workers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image


class Scenes:
    """Picture makers of the find tests (uint8 (H, W, 3) RGB arrays)."""

    #: x1, y1, x2, y2 of the planted change in :meth:`changed`
    change = (70, 40, 95, 60)

    @staticmethod
    def scene(seed: int, h: int = 120, w: int = 160) -> np.ndarray:
        """A 160x120 synthetic landscape: colour gradients, noise (sigma 3), a house and a
        cloud."""
        rng = np.random.default_rng(seed)
        y, x = np.mgrid[0:h, 0:w]
        img = np.stack([40 + x * 1.2, 60 + y * 1.4, 220 - x * 0.6 - y * 0.5], -1)
        img = img + rng.normal(0, 3, img.shape)
        img[70:100, 20:60] = (200, 180, 60)
        img[15:35, 110:140] = (250, 250, 240)
        return np.clip(img, 0, 255).astype(np.uint8)

    def changed(self, seed: int = 1) -> np.ndarray:
        """:meth:`scene` with a red block over :attr:`change`."""
        img = self.scene(seed)
        x1, y1, x2, y2 = self.change
        img[y1:y2, x1:x2] = (220, 30, 30)
        return img

    def directories(self, root: Path) -> tuple[Path, Path]:
        """``root/d1`` (one, three, two: scene 0) and ``root/d2`` (one: changed, two: scene 1;
        no three)."""
        d1, d2 = root / "d1", root / "d2"
        d1.mkdir()
        d2.mkdir()
        for name in ("one", "three", "two"):
            Image.fromarray(self.scene(0)).save(d1 / f"{name}.png")
        Image.fromarray(self.changed()).save(d2 / "one.png")
        Image.fromarray(self.scene(1)).save(d2 / "two.png")
        return d1, d2


@pytest.fixture
def scenes() -> Scenes:
    return Scenes()


@pytest.fixture
def files(tmp_path, scenes):
    """Paths (str) of a.png (scene 0), same.png (scene 1: other noise), b.png (changed),
    small.png (changed, cropped to 150x100) and corrupt.png."""
    paths = {
        "a": tmp_path / "a.png",
        "same": tmp_path / "same.png",
        "b": tmp_path / "b.png",
        "small": tmp_path / "small.png",
        "corrupt": tmp_path / "corrupt.png",
    }
    Image.fromarray(scenes.scene(0)).save(paths["a"])
    Image.fromarray(scenes.scene(1)).save(paths["same"])  # same scene, other noise
    Image.fromarray(scenes.changed()).save(paths["b"])
    Image.fromarray(scenes.changed()[:100, :150]).save(paths["small"])
    paths["corrupt"].write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    return {k: str(v) for k, v in paths.items()}


@pytest.fixture
def one_and_two_workers(tmp_path, capsys):
    """``run(args_of, code, messages=True)``: the CLI with ``args_of(OUT)`` and ``--workers 1``,
    then ``--workers 2``; both must exit ``code`` and write the same bytes and (``messages``) the
    same stderr, OUT named alike; returns the output's text and the stderr of the first."""
    from spotdiff.cli import main

    def run(args_of, code: int, messages: bool = True) -> tuple[str, str]:
        outs, errs = [], []
        for workers in ("1", "2"):
            out = tmp_path / f"workers{workers}.jsonl"
            assert main([*args_of(out), "--workers", workers]) == code
            errs.append(capsys.readouterr().err.replace(str(out), "OUT"))
            outs.append(out.read_bytes())
        assert outs[0] == outs[1]  # same rows, same order, byte for byte
        assert errs[0] == errs[1] or not messages  # messages in row order
        return outs[0].decode(), errs[0]

    return run
