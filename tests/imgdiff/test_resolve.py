"""Resolving the ImgDiff backends: fast and honest without network, one line that says what ran."""

from __future__ import annotations

import logging
import time

import pytest

from spotdiff import InvalidOptionError, WeightsNotFoundError
from spotdiff.backends import _network
from spotdiff.imgdiff import AreaConfig, resolve_backends
from spotdiff.imgdiff._resolve import check_backend


def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _expected_line() -> str:
    seg = (
        "fastsam weights not found locally"
        if _installed("ultralytics")
        else "ultralytics not installed"
    )
    sim = (
        "clip weights not found locally"
        if _installed("transformers")
        else ("transformers not installed")
    )
    itm = (
        "blip weights not found locally"
        if _installed("transformers")
        else ("transformers not installed")
    )
    return f"similarity: structural ({sim}); segmentation: find ({seg}); matching: skipped ({itm})"


def test_auto_without_network_or_offline_variable_is_fast_and_honest(
    empty_model_caches, no_network, caplog
):
    start = time.perf_counter()
    with caplog.at_level(logging.INFO, logger="spotdiff.imgdiff"):
        backends = resolve_backends(AreaConfig(), mode="auto")
    assert time.perf_counter() - start < 5.0
    assert backends.names == {"similarity": "structural", "segmentation": "find",
                              "matching": "skipped", "crop_similarity": "structural"}  # fmt: skip
    assert backends.matcher is None
    line = backends.describe()
    assert line == _expected_line()
    assert backends.notes[0] == line
    assert "using" not in line
    assert not any("HF_HUB_OFFLINE" in n for n in backends.notes)  # it is not set
    if _installed("transformers"):
        assert "huggingface.co is not reachable from this machine" in backends.notes[1]
        cache = empty_model_caches / "hf" / "hub" / "models--openai--clip-vit-base-patch32"
        assert str(cache) in backends.notes[1]
        fastsam = {"github.com"} if _installed("ultralytics") else set()  # FastSAM's asset
        assert set(no_network) == {"huggingface.co"} | fastsam  # probed once for both hub models
    lines = [r.getMessage() for r in caplog.records if "backends:" in r.getMessage()]
    assert lines == [f"spotdiff imgdiff backends: {line}"]


def test_auto_with_the_real_probe_on_this_machine(empty_model_caches, monkeypatch):
    for var in _network.OFFLINE_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    _network.clear_probes()
    try:
        if _network.reachable(_network.hub_host()):
            pytest.skip("this machine reaches the hub: auto would download the real models")
        start = time.perf_counter()
        backends = resolve_backends(AreaConfig(), mode="auto")
        assert time.perf_counter() - start < 5.0  # was ~46 s of hub retries
    finally:
        _network.clear_probes()
    assert backends.describe() == _expected_line()


def test_hf_hub_offline_is_named_only_when_set(empty_model_caches, no_network, monkeypatch):
    pytest.importorskip("transformers", reason="the CLIP backend needs transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    backends = resolve_backends(AreaConfig(), mode={"segmentation": "classical"})
    assert backends.reasons == {"similarity": "clip weights not found locally",
                                "matching": "blip weights not found locally"}  # fmt: skip
    assert "(HF_HUB_OFFLINE is set)" in backends.notes[1]
    assert "unset HF_HUB_OFFLINE" in backends.notes[1]
    assert no_network == []  # the variable decides: no probe


def test_models_mode_names_the_local_paths(empty_model_caches, no_network):
    pytest.importorskip("transformers", reason="the CLIP backend needs transformers")
    with pytest.raises(WeightsNotFoundError) as err:
        resolve_backends(AreaConfig(), mode={"similarity": "models", "segmentation": "classical"})
    message = str(err.value)
    assert str(empty_model_caches / "djm" / "openai" / "clip-vit-base-patch32") in message
    assert "huggingface.co is not reachable" in message and "HF_HUB_OFFLINE" not in message


def test_classical_loads_nothing_and_says_so(empty_model_caches, no_network):
    # no model runs, so the device is not even looked at (torch may not be installed)
    backends = resolve_backends(AreaConfig(), mode="classical", device="no-such-device")
    assert backends.describe() == "similarity: structural; segmentation: find; matching: skipped"
    assert backends.reasons == {} and backends.notes == (backends.describe(),)
    assert no_network == []


def test_steps_can_name_a_registered_backend():
    modes = check_backend({"similarity": "Structural", "matching": "skip"})
    assert modes == {"similarity": "structural", "segmentation": "auto", "matching": "skip"}
    backends = resolve_backends(
        AreaConfig(), mode={"similarity": "structural", "segmentation": "find", "matching": "skip"}
    )
    assert backends.names["matching"] == "skipped" and backends.names["similarity"] == "structural"
    with pytest.raises(InvalidOptionError, match=r"backend\['matching'\] must be one of .*'blip'"):
        check_backend({"matching": "clip"})  # registered, but for another step


@pytest.mark.parametrize("device", ["cuda:99", "tpu", "gpu0"])
def test_a_bad_device_fails_before_any_fallback(device, empty_model_caches, no_network):
    pytest.importorskip("torch", reason="devices are torch devices")
    with pytest.raises(InvalidOptionError, match="device"):
        resolve_backends(AreaConfig(), mode="auto", device=device)


def test_find_options_are_checked_when_the_backend_is_built():
    with pytest.raises(
        InvalidOptionError, match=r"find_options got unknown option\(s\) sensitvity"
    ):
        resolve_backends(AreaConfig(find_options={"sensitvity": 0.4}), mode="classical")
    with pytest.raises(InvalidOptionError, match=r"backend\['matching'\] must be one of"):
        resolve_backends(AreaConfig(), mode={"matching": "nope"})
