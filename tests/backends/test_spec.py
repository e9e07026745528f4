"""Weights resolution: local directory, Data-Juicer homes, hub cache, offline errors naming paths."""

from __future__ import annotations

import pytest

from spotdiff import WeightsNotFoundError
from spotdiff.backends import BLIP_ITM, CLIP, FASTSAM, SPECS, WeightsSpec
from spotdiff.backends._spec import (
    data_juicer_model_dirs,
    hf_cache_dir,
    hub_cache_path,
    hub_offline,
    is_hub_id,
)
from spotdiff.backends.fastsam import resolve_fastsam_weights


def test_specs_describe_the_data_juicer_defaults():
    assert CLIP.default == "openai/clip-vit-base-patch32"
    assert BLIP_ITM.default == "Salesforce/blip-itm-base-coco"
    assert FASTSAM.default == "FastSAM-x.pt"
    assert set(SPECS) == {"clip", "blip_itm", "fastsam"}
    assert (CLIP.extra, FASTSAM.extra) == ("models", "fastsam")


def test_environment_is_read_at_call_time(monkeypatch, tmp_path):
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    assert hf_cache_dir() == tmp_path / "hf" / "hub"
    assert hub_cache_path("openai/clip-vit-base-patch32") == (
        tmp_path / "hf" / "hub" / "models--openai--clip-vit-base-patch32"
    )
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "cache"))
    assert hf_cache_dir() == tmp_path / "cache"
    monkeypatch.delenv("SPOTDIFF_OFFLINE", raising=False)
    for value, offline in [("1", True), ("true", True), ("0", False), ("", False)]:
        monkeypatch.setenv("HF_HUB_OFFLINE", value)
        monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
        assert hub_offline() is offline
    monkeypatch.setenv("SPOTDIFF_OFFLINE", "1")
    assert hub_offline() is True
    monkeypatch.setenv("DATA_JUICER_EXTERNAL_MODELS_HOME", str(tmp_path / "ext"))
    monkeypatch.setenv("DATA_JUICER_MODELS_CACHE", str(tmp_path / "djm"))
    assert data_juicer_model_dirs() == [tmp_path / "ext", tmp_path / "djm"]


@pytest.mark.parametrize(
    ("source", "hub"),
    [("openai/clip-vit-base-patch32", True), ("bert-base", True), ("./models/clip", False),
     ("~/clip", False), ("/abs/dir", False), ("a/b/c", False)],
)  # fmt: skip
def test_is_hub_id(source, hub):
    assert is_hub_id(source) is hub


def test_missing_hub_weights_offline_name_the_cache_path(monkeypatch, tmp_path):
    pytest.importorskip("transformers", reason="the model backends need transformers")
    from spotdiff.backends import load_clip

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("DATA_JUICER_MODELS_CACHE", str(tmp_path / "djm"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(WeightsNotFoundError) as err:
        load_clip("openai/clip-vit-base-patch32", device="cpu")
    message = str(err.value)
    assert str(tmp_path / "hf" / "hub" / "models--openai--clip-vit-base-patch32") in message
    assert "HF_HUB_OFFLINE" in message and "backend='classical'" in message
    assert isinstance(err.value, FileNotFoundError)


def test_incomplete_local_directory_names_missing_files(tmp_path):
    pytest.importorskip("transformers", reason="the model backends need transformers")
    from spotdiff.backends import load_blip

    (tmp_path / "blip").mkdir()
    (tmp_path / "blip" / "config.json").write_text("{}")
    with pytest.raises(WeightsNotFoundError, match=r"missing preprocessor_config\.json"):
        load_blip(str(tmp_path / "blip"), device="cpu")
    with pytest.raises(WeightsNotFoundError, match="no such directory"):
        load_blip(str(tmp_path / "nowhere" / "x" / "y"), device="cpu")


def test_hub_id_found_in_data_juicer_external_home(monkeypatch, tmp_path, tiny_models):
    import shutil

    from spotdiff.backends import clear_cache, load_clip

    home = tmp_path / "ext"
    shutil.copytree(tiny_models["clip"], home / "openai" / "clip-vit-base-patch32")
    monkeypatch.setenv("DATA_JUICER_EXTERNAL_MODELS_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    clear_cache()
    try:
        clip = load_clip("openai/clip-vit-base-patch32", device="cpu")
        assert clip.name == "clip" and clip.model.config.projection_dim == 16
    finally:
        clear_cache()  # the tiny model must not stand in for the hub id in later tests


def test_fastsam_weights_resolution(monkeypatch, tmp_path):
    from spotdiff.backends import _network

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_JUICER_MODELS_CACHE", str(tmp_path / "djm"))
    monkeypatch.delenv("DATA_JUICER_EXTERNAL_MODELS_HOME", raising=False)
    monkeypatch.delenv("SPOTDIFF_OFFLINE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(WeightsNotFoundError, match=str(tmp_path / "djm" / "FastSAM-x.pt")):
        resolve_fastsam_weights("FastSAM-x.pt")
    (tmp_path / "djm").mkdir()
    (tmp_path / "djm" / "FastSAM-x.pt").write_bytes(b"weights")
    assert resolve_fastsam_weights("FastSAM-x.pt") == str(tmp_path / "djm" / "FastSAM-x.pt")
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    probed = []
    monkeypatch.setattr(_network, "reachable", lambda host: probed.append(host) or True)
    assert resolve_fastsam_weights("FastSAM-s.pt") == "FastSAM-s.pt"  # ultralytics downloads it
    assert probed == ["github.com"]
    with pytest.raises(WeightsNotFoundError, match="no such file"):  # a path is never fetched
        resolve_fastsam_weights(str(tmp_path / "models" / "FastSAM-s.pt"))


def test_fastsam_offline_without_variable_names_the_paths_not_hf_hub_offline(
    tmp_path, monkeypatch, no_network
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_JUICER_MODELS_CACHE", str(tmp_path / "djm"))
    with pytest.raises(WeightsNotFoundError) as err:
        resolve_fastsam_weights("FastSAM-x.pt")
    message = str(err.value)
    assert "github.com is not reachable from this machine" in message
    assert str(tmp_path / "FastSAM-x.pt") in message
    assert str(tmp_path / "djm" / "FastSAM-x.pt") in message
    assert "OFFLINE" not in message
    assert no_network == ["github.com"]
    assert err.value.short == "weights not found locally"


def test_hub_id_without_network_fails_fast_without_mentioning_hf_hub_offline(
    empty_model_caches, no_network
):
    pytest.importorskip("transformers", reason="the model backends need transformers")
    import time

    from spotdiff.backends import load_clip

    start = time.perf_counter()
    with pytest.raises(WeightsNotFoundError) as err:
        load_clip("openai/clip-vit-base-patch32", device="cpu")
    assert time.perf_counter() - start < 5.0
    message = str(err.value)
    assert "huggingface.co is not reachable from this machine" in message
    assert "HF_HUB_OFFLINE" not in message
    cache = empty_model_caches / "hf" / "hub" / "models--openai--clip-vit-base-patch32"
    assert str(cache) in message
    assert no_network == ["huggingface.co"]


def test_cached_hub_snapshot_loads_locally_and_a_failed_download_names_paths(
    empty_model_caches, monkeypatch
):
    from spotdiff.backends import _network
    from spotdiff.backends._hf import locate, resolve_and_load

    pytest.importorskip("transformers", reason="the model backends need transformers")
    monkeypatch.delenv("SPOTDIFF_OFFLINE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(_network, "reachable", lambda host: True)
    snapshot = hub_cache_path("org/model") / "snapshots" / "0123abc"
    snapshot.mkdir(parents=True)
    for name in CLIP.required:
        (snapshot / name).write_text("{}")
    calls = []

    def load(path, kwargs):
        calls.append((path, kwargs))
        return "model"

    assert locate(CLIP, "org/model")[0] == "cache"
    assert resolve_and_load(CLIP, "org/model", load) == "model"
    assert calls == [("org/model", {"cache_dir": str(hf_cache_dir()), "local_files_only": True})]
    assert locate(CLIP, "org/other")[0] == "hub"  # not cached, the hub answers

    class HubDown(Exception):  # what huggingface_hub raises when the connection drops
        pass

    HubDown.__module__ = "huggingface_hub.errors"

    def fail(path, kwargs):
        raise HubDown("Connection reset by peer")

    with pytest.raises(WeightsNotFoundError) as err:
        resolve_and_load(CLIP, "org/other", fail)
    message = str(err.value)
    assert "the download failed: HubDown: Connection reset by peer" in message
    assert str(hub_cache_path("org/other")) in message
    assert err.value.short == "weights not found locally, download failed"


def test_url_file_is_downloaded_atomically_and_a_failed_download_names_the_path(
    tmp_path, monkeypatch
):
    import dataclasses

    from spotdiff.backends import _network
    from spotdiff.backends._spec import resolve_file

    monkeypatch.delenv("SPOTDIFF_OFFLINE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(_network, "reachable", lambda host: True)
    (tmp_path / "server").mkdir()
    (tmp_path / "server" / "w.pth").write_bytes(b"weights")
    spec = WeightsSpec(name="w", default="w.pth", kind="url",
                       url=(tmp_path / "server" / "w.pth").as_uri())  # fmt: skip
    home = tmp_path / "home"
    got = resolve_file(spec, dirs=[home], download_to=home / "w.pth")
    assert got == home / "w.pth" and got.read_bytes() == b"weights"
    assert resolve_file(spec, dirs=[home], download_to=home / "w.pth") == home / "w.pth"
    gone = dataclasses.replace(spec, default="v.pth", url=(tmp_path / "nothing.pth").as_uri())
    with pytest.raises(WeightsNotFoundError, match="the download failed: URLError") as err:
        resolve_file(gone, dirs=[home], download_to=home / "v.pth")
    assert str(home / "v.pth") in str(err.value)
    assert sorted(p.name for p in home.iterdir()) == ["w.pth"]  # no partial file left
