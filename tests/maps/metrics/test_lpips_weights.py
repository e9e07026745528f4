"""LPIPS weights as data (maps/metrics/_lpips_weights.py): the specs, the folders searched,
reading and splitting checkpoints, ``weights=`` and the state checks that name the bad key.
The end-to-end loading through ``LPIPS(...)`` is tested in test_lpips.py."""

from __future__ import annotations

import os
import types
from pathlib import Path

import pytest
import torch

from spotdiff._errors import InvalidOptionError, WeightsNotFoundError
from spotdiff.maps.metrics import _lpips_weights as lw
from spotdiff.maps.metrics._lpips_net import LPIPSNet
from spotdiff.maps.metrics._lpips_weights import (
    SPECS,
    check_state,
    load_lpips_state,
    read_checkpoint,
    split_checkpoint,
    weight_paths,
)


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Empty caches, no lpips package, downloads forbidden."""
    monkeypatch.setenv("SPOTDIFF_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("SPOTDIFF_OFFLINE", "1")
    monkeypatch.setattr(lw, "lpips_package_weights_dir", lambda: None)


@pytest.fixture(scope="module")
def alex_state():
    torch.manual_seed(0)
    return LPIPSNet("alex").state_dict()


def _files(state, directory: Path, *, backbone="alexnet-owt-7be5be79.pth", heads="alex.pth"):
    """torchvision-format backbone and lpips-format heads files, as distributed."""
    directory.mkdir(parents=True, exist_ok=True)
    back = {k: v.clone() for k, v in state.items() if k.startswith("features.")}
    back["classifier.1.weight"] = torch.zeros(2, 2)
    head = {f"lin{k.split('.')[1]}.model.1.weight": v.clone() for k, v in state.items()
            if k.startswith("heads.")}  # fmt: skip
    torch.save(back, directory / backbone)
    torch.save(head, directory / heads)
    return directory / backbone, directory / heads


# --- the specs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("net", "backbone", "desc", "convs"),
    [("vgg", "vgg16-397923af.pth", "torchvision VGG16 backbone", 13),
     ("alex", "alexnet-owt-7be5be79.pth", "torchvision AlexNet backbone", 5)],
)  # fmt: skip
def test_specs_name_the_reference_files_and_keys(net, backbone, desc, convs):
    spec = SPECS[net]
    assert spec.net == net
    assert (spec.backbone_file, spec.backbone_desc) == (backbone, desc)
    assert (spec.heads_file, spec.heads_desc) == (f"{net}.pth", "LPIPS v0.1 linear heads")
    assert spec.backbone.url == f"https://download.pytorch.org/models/{backbone}"
    assert spec.heads.url == (
        f"https://github.com/richzhang/PerceptualSimilarity/raw/master/lpips/weights/v0.1/{net}.pth"
    )
    assert (spec.backbone.name, spec.heads.name) == (f"lpips_{net}_backbone", f"lpips_{net}_heads")
    assert spec.backbone.kind == spec.heads.kind == "url" and spec.heads.library == "torch"
    assert len(spec.backbone_keys) == 2 * convs
    assert spec.backbone_keys[:2] == ("features.0.weight", "features.0.bias")
    assert spec.head_keys == tuple(f"lin{k}.model.1.weight" for k in range(5))


# --- where the files are searched ----------------------------------------------------------


def test_spotdiff_home_and_the_folders_searched(tmp_path, monkeypatch):
    assert lw.spotdiff_home() == tmp_path / "home"
    assert lw.backbone_dirs() == (
        tmp_path / "home" / "lpips",
        tmp_path / "torch" / "hub" / "checkpoints",
    )
    assert lw.heads_dirs() == (tmp_path / "home" / "lpips",)
    pkg = tmp_path / "site" / "lpips" / "weights" / "v0.1"
    monkeypatch.setattr(lw, "lpips_package_weights_dir", lambda: pkg)
    assert lw.heads_dirs() == (tmp_path / "home" / "lpips", pkg)
    monkeypatch.setenv("SPOTDIFF_HOME", "~/elsewhere")
    assert lw.spotdiff_home() == Path.home() / "elsewhere"
    monkeypatch.delenv("SPOTDIFF_HOME")
    assert lw.spotdiff_home() == Path.home() / ".cache" / "spotdiff"


def test_lpips_package_folder_is_found_without_importing_it(tmp_path, monkeypatch):
    monkeypatch.undo()  # the real function, not the fixture's stand-in
    found = {}

    def find_spec(name):
        found["name"] = name
        return found.get("spec")

    monkeypatch.setattr(lw.importlib.util, "find_spec", find_spec)
    assert lw.lpips_package_weights_dir() is None and found["name"] == "lpips"
    found["spec"] = types.SimpleNamespace(submodule_search_locations=[str(tmp_path / "lpips")])
    assert lw.lpips_package_weights_dir() == tmp_path / "lpips" / "weights" / "v0.1"
    found["spec"] = types.SimpleNamespace(submodule_search_locations=None)  # a module, no package
    assert lw.lpips_package_weights_dir() is None

    def broken(name):
        raise ValueError("lpips.__spec__ is None")

    monkeypatch.setattr(lw.importlib.util, "find_spec", broken)
    assert lw.lpips_package_weights_dir() is None


def test_weight_paths_accepts_paths_and_lists_only():
    assert weight_paths(None) == []
    assert weight_paths("~/w.pth") == [Path.home() / "w.pth"]
    assert weight_paths(Path("a.pth")) == [Path("a.pth")]
    assert weight_paths(["a.pth", Path("dir")]) == [Path("a.pth"), Path("dir")]
    assert weight_paths(("a.pth",)) == [Path("a.pth")]
    for bad, kind in [(3, "int"), ([1], "list"), (b"a.pth", "bytes"), ({"a": 1}, "dict")]:
        with pytest.raises(InvalidOptionError) as info:
            weight_paths(bad)
        assert str(info.value) == (
            f"weights must be None, a path or a list of paths (files or directories), got {kind}"
        )


# --- reading and splitting checkpoints -------------------------------------------------------


def test_read_checkpoint_unwraps_and_rejects(tmp_path):
    w = {"features.0.weight": torch.ones(2)}
    for i, obj in enumerate([w, {"state_dict": w}, {"model": w}, {"state_dict": {"model": w}}]):
        torch.save(obj, tmp_path / f"ok{i}.pth")
        got = read_checkpoint(tmp_path / f"ok{i}.pth")
        assert list(got) == ["features.0.weight"]
        assert torch.equal(got["features.0.weight"], w["features.0.weight"])
    for name, obj, kind in [("list.pth", [1, 2], "list"), ("ints.pth", {"a": 1}, "dict"),
                            ("keys.pth", {0: torch.ones(1)}, "dict")]:  # fmt: skip
        torch.save(obj, tmp_path / name)
        with pytest.raises(InvalidOptionError) as info:
            read_checkpoint(tmp_path / name)
        assert str(info.value).startswith(
            f"LPIPS weights file {tmp_path / name} holds a {kind}, not a state dict of tensors"
        )
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(InvalidOptionError, match=r"(?s)cannot read LPIPS weights file .*junk\.pth: "
                       r"\w+Error: .*Expected a state dict saved with torch\.save"):  # fmt: skip
        read_checkpoint(tmp_path / "junk.pth")


def test_split_checkpoint_renames_every_known_layout():
    t = {name: torch.full((1,), float(i)) for i, name in enumerate([
        "features.0.weight", "module.features.3.bias", "net.slice2.5.weight",
        "lin0.model.1.weight", "module.lin4.model.1.weight", "lin2.model.0.weight",
        "classifier.1.weight", "scaling_layer.shift", "features.1.running_mean",
    ])}  # fmt: skip
    backbone, heads = split_checkpoint(t)
    assert backbone == {
        "features.0.weight": t["features.0.weight"],
        "features.3.bias": t["module.features.3.bias"],
        "features.5.weight": t["net.slice2.5.weight"],
    }
    assert heads == {
        "heads.0.weight": t["lin0.model.1.weight"],
        "heads.4.weight": t["module.lin4.model.1.weight"],
        "heads.2.weight": t["lin2.model.0.weight"],  # lpips without dropout: model.0
    }
    assert split_checkpoint({"classifier.1.weight": torch.ones(1)}) == ({}, {})


# --- check_state: the first missing key or wrong shape is named ----------------------------


def _expected():
    return {k: v.shape for k, v in LPIPSNet("alex").state_dict().items()}


SOURCES = {"backbone": Path("/w/alexnet.pth"), "heads": Path("/w/alex.pth")}


def test_check_state_accepts_the_modules_own_state_and_ignores_extras(alex_state):
    assert check_state(dict(alex_state), _expected(), SPECS["alex"], SOURCES) is None
    extra = {**alex_state, "heads.5.weight": torch.ones(1, 3, 1, 1)}
    assert check_state(extra, _expected(), SPECS["alex"], SOURCES) is None


@pytest.mark.parametrize(
    ("drop", "replace", "message"),
    [(["features.3.weight", "heads.0.weight"], {},
      "/w/alexnet.pth lacks 'features.3.weight' needed by LPIPS(net='alex') (expected the "
      "torchvision AlexNet backbone, like alexnet-owt-7be5be79.pth)"),
     (["heads.2.weight"], {},
      "/w/alex.pth lacks 'lin2.model.1.weight' needed by LPIPS(net='alex') (expected the "
      "LPIPS v0.1 linear heads, like alex.pth)"),
     ([], {"heads.1.weight": (1, 64, 1, 1)},
      "/w/alex.pth: 'lin1.model.1.weight' has shape (1, 64, 1, 1) but LPIPS(net='alex') "
      "expects (1, 192, 1, 1); is it the checkpoint of another network?"),
     ([], {"features.0.weight": (64, 3, 3, 3)},
      "/w/alexnet.pth: 'features.0.weight' has shape (64, 3, 3, 3) but LPIPS(net='alex') "
      "expects (64, 3, 11, 11); is it the checkpoint of another network?")],
    ids=["missing-backbone-key", "missing-head", "head-shape", "backbone-shape"],
)  # fmt: skip
def test_check_state_names_the_file_the_key_and_the_shapes(alex_state, drop, replace, message):
    state = {k: v for k, v in alex_state.items() if k not in drop}
    state.update({k: torch.zeros(shape) for k, shape in replace.items()})
    with pytest.raises(InvalidOptionError) as info:
        check_state(state, _expected(), SPECS["alex"], SOURCES)
    assert str(info.value) == message.replace("/", os.sep)


def test_check_state_without_sources_says_weights(alex_state):
    state = {k: v for k, v in alex_state.items() if k != "heads.4.weight"}
    with pytest.raises(InvalidOptionError, match=r"^weights lacks 'lin4\.model\.1\.weight'"):
        check_state(state, _expected(), SPECS["alex"], {})


# --- load_lpips_state -------------------------------------------------------------------------


def test_explicit_files_and_folders_come_before_the_caches(alex_state, tmp_path):
    mine_back, mine_heads = _files(alex_state, tmp_path / "mine")
    _files({k: v + 1 for k, v in alex_state.items()}, tmp_path / "home" / "lpips")  # cached copy
    state, sources = load_lpips_state(SPECS["alex"], [mine_heads, mine_back])
    assert sources == {"backbone": mine_back, "heads": mine_heads}
    assert set(state) == set(alex_state)
    assert all(torch.equal(state[k], alex_state[k]) for k in alex_state)
    _, sources = load_lpips_state(SPECS["alex"], tmp_path / "mine")  # a folder, by file name
    assert sources == {"backbone": mine_back, "heads": mine_heads}
    _, sources = load_lpips_state(SPECS["alex"], mine_heads)  # the backbone from the cache
    assert sources == {
        "backbone": tmp_path / "home" / "lpips" / "alexnet-owt-7be5be79.pth",
        "heads": mine_heads,
    }


def test_two_checkpoints_of_one_part_are_refused(alex_state, tmp_path):
    first, _ = _files(alex_state, tmp_path / "a")
    second, _ = _files(alex_state, tmp_path / "b")
    with pytest.raises(InvalidOptionError) as info:
        load_lpips_state(SPECS["alex"], [first, second])
    assert str(info.value) == (
        f"weights gives two backbone checkpoints: {first} and {second}; pass one."
    )


def test_a_file_with_neither_part_lists_its_keys(tmp_path):
    path = tmp_path / "other.pth"
    torch.save({f"layer{i}.weight": torch.ones(1) for i in range(6)}, path)
    with pytest.raises(InvalidOptionError) as info:
        load_lpips_state(SPECS["vgg"], path)
    assert str(info.value) == (
        f"{path} holds neither backbone keys (features.0.weight, features.0.bias, ...) nor "
        "LPIPS head keys (lin0.model.1.weight, lin1.model.1.weight, ...); it has keys "
        "layer0.weight, layer1.weight, layer2.weight, layer3.weight, ... (6 keys)"
    )
    torch.save({}, path)
    with pytest.raises(InvalidOptionError, match=r"it has keys \(none\)$"):
        load_lpips_state(SPECS["vgg"], path)


def test_a_missing_explicit_path_names_the_files_to_pass(tmp_path):
    with pytest.raises(WeightsNotFoundError) as info:
        load_lpips_state(SPECS["alex"], tmp_path / "nowhere.pth")
    assert str(info.value) == (
        f"weights={str(tmp_path / 'nowhere.pth')!r}: no such file or directory; pass the path of "
        "alexnet-owt-7be5be79.pth and/or alex.pth, or a directory holding them."
    )


def test_a_cached_file_of_the_wrong_part_is_named(alex_state, tmp_path):
    _, heads = _files(alex_state, tmp_path / "home" / "lpips")
    back = tmp_path / "home" / "lpips" / "alexnet-owt-7be5be79.pth"
    torch.save(torch.load(heads, weights_only=True), back)  # heads saved under the backbone name
    with pytest.raises(InvalidOptionError) as info:
        load_lpips_state(SPECS["alex"])
    assert str(info.value).startswith(
        f"{back} should hold the backbone of LPIPS(net='alex') (keys features.0.weight, "
        "features.0.bias, ...) but has keys lin0.model.1.weight"
    )
