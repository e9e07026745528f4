"""Dense-flow refinement (spotdiff.align.flow): handheld pairs of a 3-D scene.

Constructed pairs: a photographed ground with textured slabs, the camera moved (a shift the
global registration takes) plus a smooth relief parallax it cannot take; an object removed,
moved by more or by less than the flow's bound. Real pairs: the handheld object photographs of
the development set.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

import spotdiff.regions.retrace as retrace_module
from spotdiff._errors import InvalidOptionError
from spotdiff.align import flow as flow_module
from spotdiff.align.flow import FLOW_SIDE, refine_flow, should_run
from spotdiff.detect import FindConfig, find
from spotdiff.evaluation.metrics import box_iou, match_boxes

from ..realpairs import REALPAIRS_DIR, REALPAIRS_MANIFEST, needs_realpairs

skdata = pytest.importorskip("skimage.data")

W, H = 480, 320
OBJECT = (200, 140)  # top-left of the 31 x 31 px object
OBJECT_BOX = np.array([[200, 140, 231, 171]], dtype=np.float32)
SLABS = [(40, 40, 140, 24), (300, 60, 26, 130), (120, 220, 160, 22), (360, 230, 90, 30)]


M = 20  # margin rendered around the view, so that no border is ever invented


def _ground() -> np.ndarray:
    """A cat photograph with four slabs of coffee-photo texture (edges everywhere), with a
    margin of M px around the W x H view."""
    size = (W + 2 * M, H + 2 * M)
    img = cv2.resize(skdata.chelsea()[..., :3], size, interpolation=cv2.INTER_AREA)
    tex = cv2.resize(skdata.coffee()[..., :3], size, interpolation=cv2.INTER_AREA)
    for x, y, w, h in SLABS:
        x, y = x + M, y + M
        img[y : y + h, x : x + w] = tex[y : y + h, x : x + w]
    return np.ascontiguousarray(img)


def _put(img: np.ndarray, x: int, y: int) -> None:
    """The object (31 x 31 px) with its top-left at view pixel (x, y)."""
    x, y = x + M, y + M
    cv2.rectangle(img, (x, y), (x + 30, y + 30), (230, 40, 200), -1)
    cv2.circle(img, (x + 15, y + 15), 8, (20, 220, 240), -1)


def _view(img: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(img[M : M + H, M : M + W])


def parallax_pair(
    relief: float = 5.0, moved: tuple[int, int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Image 1: the ground with the object; image 2: the camera moved by (10, 6) px plus a smooth
    depth-dependent parallax of up to ``relief`` px (a bump and a dip), the object removed, or
    moved by ``moved`` px."""
    ground = _ground()
    img1 = ground.copy()
    _put(img1, *OBJECT)
    src = ground.copy()
    if moved is not None:
        _put(src, OBJECT[0] + moved[0], OBJECT[1] + moved[1])
    h, w = ground.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    depth = np.exp(-(((gx - M - 120) / 110) ** 2 + ((gy - M - 200) / 90) ** 2)) - 0.8 * np.exp(
        -(((gx - M - 380) / 90) ** 2 + ((gy - M - 90) / 80) ** 2)
    )
    dx, dy = 10 + relief * depth, 6 + 0.5 * relief * depth
    img2 = cv2.remap(src, gx - dx, gy - dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return _view(img1), _view(img2)


# ------------------------------------------------------------------ the failure mode and its fix
def test_parallax_pair_gives_one_box_on_the_removed_object(monkeypatch):
    img1, img2 = parallax_pair()
    with monkeypatch.context() as m:  # the flow alone (the residue displaced by at most 2 px
        m.setattr(retrace_module, "MAX_SCORE", 0.0)  # is also strokes traced again)
        plain = find(img1, img2, flow=False)
    assert plain.aligned and len(plain) >= 4  # the failure mode: parallax read as change
    assert plain.metadata["flow"]["ran"] is False
    assert plain.metadata["flow"]["message"] == "not run: flow=False"
    r = find(img1, img2)
    assert r.aligned
    meta = r.metadata["flow"]
    assert meta["ran"] and meta["applied"] and meta["message"] == ""
    assert meta["support"] > 0.9 and 2.0 < meta["max_px"] < 0.02 * W
    assert len(r) == 1
    assert box_iou(r.boxes, OBJECT_BOX)[0, 0] > 0.6


@pytest.mark.parametrize(
    ("moved", "expected_x2"),
    [((40, 0), 271), ((8, 0), 239)],  # beyond and within the flow's 2% bound (9.6 px)
)
def test_a_moved_object_is_still_reported(moved, expected_x2):
    img1, img2 = parallax_pair(moved=moved)
    r = find(img1, img2)
    assert r.metadata["flow"]["applied"]
    assert len(r) == 1  # both places, merged: nothing of the parallax
    x1, y1, x2, y2 = r.boxes[0]
    assert abs(x1 - 200) <= 4 and abs(y1 - 140) <= 4 and abs(y2 - 171) <= 4
    assert abs(x2 - expected_x2) <= 6


def test_a_correct_registration_leaves_nothing_to_follow():
    """A flat scene, the camera turned by 1 degree: registration (beyond a translation) explains
    it all; the flow finds under 1 px (99% of pixels) and image 2 is left as registered."""
    ground = _ground()
    img1 = ground.copy()
    _put(img1, *OBJECT)
    h, w = ground.shape[:2]
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), 1.0, 1.0)
    img2 = cv2.warpAffine(ground, turn, (w, h), flags=cv2.INTER_LINEAR)
    r = find(_view(img1), _view(img2))
    meta = r.metadata["flow"]
    assert r.metadata["registration"]["method"] in ("similarity", "affine")
    assert meta["ran"] and not meta["applied"]
    assert meta["p99_px"] < 1.0 and "under 1 px" in meta["message"]
    assert len(r) == 1 and box_iou(r.boxes, OBJECT_BOX)[0, 0] > 0.6


@pytest.mark.parametrize(("shift", "motion"), [(0, "identity"), (1, "translation")])
def test_no_camera_turn_flow_does_not_run(shift, motion):
    """Aligned or only shifted pairs (registration's tiles agree) pay nothing."""
    ground = _ground()
    img1 = _view(ground)
    _put(ground, *OBJECT)
    img2 = _view(np.roll(ground, (3 * shift, 5 * shift), axis=(0, 1)))
    r = find(img1, img2)
    assert r.metadata["registration"]["method"] == motion
    meta = r.metadata["flow"]
    assert meta["mode"] == "auto" and meta["ran"] is False and meta["applied"] is False
    assert meta["message"] == f"not run: registration found {motion} only"
    assert len(r) == 1 and box_iou(r.boxes, OBJECT_BOX)[0, 0] > 0.6
    forced = find(img1, img2, flow=True)  # nothing to explain: the object stays
    assert forced.metadata["flow"]["ran"]
    assert len(forced) == 1 and box_iou(forced.boxes, OBJECT_BOX)[0, 0] > 0.6


# -------------------------------------------------------------------------- refine_flow itself
def _residual(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = cv2.absdiff(a, b).astype(np.float32).sum(axis=2)
    return cv2.blur(d, (5, 5))


def test_refinement_explains_the_parallax_and_keeps_the_object():
    img1, img2 = parallax_pair()
    # image 2 brought back by the camera's shift only, as a translation registration would
    back = cv2.warpAffine(img2, np.float32([[1, 0, -10], [0, 1, -6]]), (W, H))
    quiet = np.zeros((H, W), dtype=bool)
    quiet[-8:], quiet[:, -12:] = True, True
    out = refine_flow(img1, back, quiet)
    assert out.applied and out.img2.shape == img1.shape and out.img2.dtype == np.uint8
    before, after = _residual(img1, back), _residual(img1, out.img2)
    assert (after > before + 30).mean() < 0.002  # a displaced copy is taken where it matches
    ground = np.ones((H, W), dtype=bool)
    ground[130:182, 190:242] = False  # around the removed object
    ground &= ~quiet
    assert np.median(after[ground]) < 0.5 * np.median(before[ground])
    obj = np.zeros((H, W), dtype=bool)
    obj[145:166, 205:226] = True  # the object's inside stays different
    assert np.median(after[obj]) > 0.8 * np.median(before[obj])


def test_unrelated_images_are_reported_not_refined():
    img1 = cv2.resize(skdata.chelsea()[..., :3], (W, H), interpolation=cv2.INTER_AREA)
    img2 = cv2.resize(skdata.astronaut(), (W, H), interpolation=cv2.INTER_AREA)
    out = refine_flow(img1, img2, np.zeros((H, W), dtype=bool))
    assert out.ran and not out.applied and out.img2 is img2
    assert out.support < 0.2 and "plausible displacement" in out.message
    assert out.to_dict()["applied"] is False


def test_flow_is_estimated_at_a_bounded_size(monkeypatch):
    """The time bound: the flow never runs on more than FLOW_SIDE px a side."""
    seen = []
    create = cv2.DISOpticalFlow_create

    class Recording:
        def __init__(self, preset):
            self.dis = create(preset)

        def calc(self, a, b, flow):
            seen.append(a.shape)
            return self.dis.calc(a, b, flow)

    monkeypatch.setattr(flow_module.cv2, "DISOpticalFlow_create", Recording)
    img1, img2 = parallax_pair()
    big1 = cv2.resize(img1, (1440, 960), interpolation=cv2.INTER_CUBIC)
    big2 = cv2.resize(img2, (1440, 960), interpolation=cv2.INTER_CUBIC)
    out = refine_flow(big1, big2, np.zeros((960, 1440), dtype=bool))
    assert seen == [(round(960 * FLOW_SIDE / 1440), FLOW_SIDE)]
    assert out.img2.shape == big1.shape


@pytest.mark.parametrize("shape", [(20, 300, 3), (300, 24, 3), (16, 16, 3)])
def test_small_images_are_not_flowed(shape):
    """OpenCV's DIS crashes the process below 32 px a side: the flow does not run there."""
    rng = np.random.default_rng(0)
    img1 = rng.integers(0, 256, shape, dtype=np.uint8)
    img2 = np.roll(img1, 1, axis=1)
    out = refine_flow(img1, img2, np.zeros(shape[:2], dtype=bool))
    assert not out.ran and out.img2 is img2 and "too small" in out.message
    r = find(img1, img2, flow=True)
    assert r.metadata["flow"]["ran"] is False


def test_elongated_images_keep_a_short_side_the_flow_can_use():
    img1, img2 = parallax_pair()
    long1 = np.ascontiguousarray(np.tile(img1[100:140], (1, 4, 1)))  # 40 x 1920
    long2 = np.ascontiguousarray(np.tile(img2[100:140], (1, 4, 1)))
    out = refine_flow(long1, long2, np.zeros(long1.shape[:2], dtype=bool))
    assert out.ran and out.img2.shape == long1.shape


# ------------------------------------------------------------------------------------ options
@pytest.mark.parametrize(
    ("mode", "motion", "expected"),
    [
        ("auto", "affine", True),
        ("auto", "similarity", True),
        ("AUTO", "homography", True),
        ("auto", "translation", False),
        ("auto", "identity", False),
        (True, "identity", True),
        (False, "affine", False),
    ],
)
def test_should_run(mode, motion, expected):
    assert should_run(mode, motion=motion) is expected


@pytest.mark.parametrize(("value", "resolved"), [(None, "auto"), ("Auto", "auto"), (False, False)])
def test_config_flow_option(value, resolved):
    assert FindConfig(flow=value).for_size(100, 100).flow == resolved
    assert FindConfig(flow=value).for_size(100, 100).to_dict()["flow"] == resolved


@pytest.mark.parametrize("value", ["sometimes", 2, "on"])
def test_config_flow_option_rejects(value):
    with pytest.raises(InvalidOptionError, match="flow must be one of"):
        FindConfig(flow=value)


# ---------------------------------------------------------------------------------- real pairs


@needs_realpairs
@pytest.mark.parametrize(
    ("name", "max_fp"),
    [("object_chalk", 6), ("object_gamecard", 4)],  # 21 and 6 false boxes without the flow
)
def test_handheld_object_photos(name, max_fp):
    entry = next(e for e in json.loads(REALPAIRS_MANIFEST.read_text()) if e["name"] == name)
    folder = REALPAIRS_DIR
    r = find(folder / entry["image1"], folder / entry["image2"])
    assert r.metadata["flow"]["applied"]
    counts = match_boxes(r.boxes, r.scores, np.array(entry["boxes"]), iou=0.5).counts
    assert counts.tp == 1 and counts.fp <= max_fp


def test_after_the_flow_regions_under_0_2_are_dropped(monkeypatch):
    """Parallax the smooth flow does not follow exactly leaves specks scoring 0.1-0.2
    (detect._FLOW_MIN_SCORE); a speck of that score is dropped once the flow was applied."""
    from spotdiff import detect
    from spotdiff.regions.extract import MIN_SCORE

    img1, img2 = parallax_pair()
    speck = img2.astype(np.int16)
    speck[60:66, 380:386] += 60
    speck = np.clip(speck, 0, 255).astype(np.uint8)
    monkeypatch.setattr(detect, "_FLOW_MIN_SCORE", MIN_SCORE)
    loose = find(img1, speck)
    assert loose.metadata["flow"]["applied"] and len(loose) == 2
    assert 0.1 <= loose.scores.min() < 0.2
    monkeypatch.undo()
    r = find(img1, speck)
    assert r.metadata["flow"]["applied"] and len(r) == 1
    assert box_iou(r.boxes, OBJECT_BOX)[0, 0] > 0.6


def test_a_rigid_warp_keeps_faint_regions(photo):
    """No flow after a rotation of a flat picture: a faint speck still counts (0.14)."""
    speck = photo.astype(np.int16)
    speck[200:206, 100:106] += 60
    speck = np.clip(speck, 0, 255).astype(np.uint8)
    rot = cv2.getRotationMatrix2D(((W - 1) / 2, (H - 1) / 2), 3.0, 1.0)
    rotated = cv2.warpAffine(speck, rot, (W, H), borderMode=cv2.BORDER_REFLECT)
    r = find(photo, rotated)
    assert r.metadata["registration"]["method"] == "similarity"
    assert not r.metadata["flow"]["applied"]
    assert len(r) == 1 and 0.1 <= r.scores[0] < 0.2


def test_a_glare_does_not_mislead_the_flow_estimated_in_one_light():
    """DIS assumes constant brightness: a specular glare over the parallax pair halves the
    trusted flow and bends the field; on the pair in one light (``guide``,
    :func:`spotdiff.maps.light.pair_in_one_light`) the field is the glare-free one."""
    from spotdiff.maps.light import pair_in_one_light

    img1, img2 = parallax_pair()
    back = cv2.warpAffine(img2, np.float32([[1, 0, -10], [0, 1, -6]]), (W, H))
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    a = 0.6 * np.exp(-((xx - 330) ** 2 + (yy - 110) ** 2) / (2 * 60**2))[..., None]
    glared = np.clip(back * (1 - a) + 255 * a, 0, 255).astype(np.uint8)
    quiet = np.zeros((H, W), dtype=bool)
    quiet[-8:], quiet[:, -12:] = True, True
    plain = refine_flow(img1, back, quiet)
    assert pair_in_one_light(img1, back, quiet) is None  # no light change: no guide
    misled = refine_flow(img1, glared, quiet)
    guide = pair_in_one_light(img1, glared, quiet)
    assert guide is not None
    guided = refine_flow(img1, glared, quiet, guide=guide)
    assert plain.support > 0.95 and misled.support < 0.8 and guided.support > 0.9
    assert abs(misled.max_px - plain.max_px) > 1.0
    assert abs(guided.max_px - plain.max_px) < 0.6
    assert guided.img2.shape == glared.shape  # image 2 itself (glare and all) is resampled
    assert guided.img2[110, 330].mean() > 200
