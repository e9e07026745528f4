"""spotdiff.batch._ray: the Ray engine: the same rows as the local engine, resume at the row
level, ``find --engine ray`` end to end, actors set up once per run, a missing Ray as one clear
error.

One local Ray (2 CPUs) serves the module: the engine starts it itself (``ray.init(num_cpus=2)``)
from an empty working directory, and it is shut down after the module. Every ``map`` starts its
actors (seconds), so the tests that need Ray are few and each does several checks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types

import numpy as np
import pytest
from PIL import Image

from spotdiff._errors import MissingDependencyError
from spotdiff.batch import BatchRow, LocalEngine, RayEngine, make_engine, run_batch
from spotdiff.cli import main


@pytest.fixture(scope="module")
def ray_cwd(tmp_path_factory):
    """Starts the module's local Ray through the engine, from an empty working directory (which
    it returns: nothing of Ray's may appear there); shuts Ray down after the module."""
    ray = pytest.importorskip("ray", reason="the Ray engine needs Ray: pip install 'spotdiff[ray]'")
    if ray.is_initialized():  # pragma: no cover - another module's Ray
        ray.shutdown()
    cwd = tmp_path_factory.mktemp("ray_cwd")
    before = os.getcwd()
    os.chdir(cwd)
    try:
        RayEngine(num_cpus=2).connect()
    finally:
        os.chdir(before)
    assert ray.cluster_resources()["CPU"] == 2
    yield cwd
    ray.shutdown()


def _pairs(root):
    """root/d1, root/d2: 4 pairs (p1, p3 with a red block), p2's second file corrupt, and
    lonely.png only in d1."""
    rng = np.random.default_rng(0)
    d1, d2 = root / "d1", root / "d2"
    d1.mkdir()
    d2.mkdir()
    for i in range(4):
        a = (rng.random((90, 120, 3)) * 40 + 100).astype(np.uint8)
        b = a.copy()
        if i % 2:
            b[20:40, 30:60] = (250, 0, 0)
        Image.fromarray(a).save(d1 / f"p{i}.png")
        Image.fromarray(b).save(d2 / f"p{i}.png")
    (d2 / "p2.png").write_bytes(b"not a picture")
    Image.fromarray(a).save(d1 / "lonely.png")
    return d1, d2


def _find(args, capsys):
    code = main(["find", *args, "--json"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_find_engine_ray_gives_the_local_rows_and_writes_nothing_in_the_cwd(
    ray_cwd, tmp_path, capsys, monkeypatch
):
    _pairs(tmp_path)
    monkeypatch.chdir(tmp_path)  # relative paths: actors work in the caller's directory
    local = _find(["d1", "d2", "-o", "local", "--engine", "local", "--workers", "2"], capsys)
    ray = _find(["d1", "d2", "-o", "ray", "--engine", "ray", "--workers", "2"], capsys)
    assert local[0] == ray[0] == 2  # the corrupt pair and the unmatched file
    local_rows = (tmp_path / "local" / "summary.jsonl").read_text()
    ray_rows = (tmp_path / "ray" / "summary.jsonl").read_text()
    assert ray_rows == local_rows.replace("local/", "ray/")  # byte for byte
    rows = [json.loads(line) for line in ray_rows.splitlines()]
    assert [r["name"] for r in rows] == ["lonely", "p0", "p1", "p2", "p3"]
    assert ["error" in r for r in rows] == [True, False, False, True, False]
    assert [len(r["regions"]) for r in rows if "regions" in r] == [0, 1, 1]
    x1, y1, x2, y2 = rows[2]["regions"][0]["box"]  # the red block: 30, 20, 60, 40
    assert 24 <= x1 <= 30 and 14 <= y1 <= 20 and 60 <= x2 <= 66 and 40 <= y2 <= 46
    assert ray[1] == local[1].replace("local/", "ray/")  # stdout in row order
    assert ray[2].splitlines()[-1] == local[2].splitlines()[-1].replace("local", "ray")
    assert sorted(p.name for p in (tmp_path / "ray").iterdir()) == [
        "p0.png",
        "p1.png",
        "p3.png",
        "summary.jsonl",
        "summary.run.json",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d1", "d2", "local", "ray"]
    assert list(ray_cwd.iterdir()) == []  # Ray's start-up wrote nothing where it started


def test_map_engine_ray_gives_the_local_rows(ray_cwd, tmp_path, capsys):
    d1, d2 = _pairs(tmp_path)
    out = {}
    for engine in ("local", "ray"):
        args = [str(d1), str(d2), "-o", str(tmp_path / engine), "--engine", engine]
        assert main(["map", *args, "--workers", "2", "--json"]) == 2  # p2 and lonely failed
        out[engine] = (tmp_path / engine / "summary.jsonl").read_text()
    capsys.readouterr()
    assert out["ray"] == out["local"].replace(str(tmp_path / "local"), str(tmp_path / "ray"))
    rows = [json.loads(line) for line in out["ray"].splitlines()]
    assert [r["name"] for r in rows] == ["lonely", "p0", "p1", "p2", "p3"]
    assert ["error" in r for r in rows] == [True, False, False, True, False]
    assert sorted(p.name for p in (tmp_path / "ray").glob("*.png")) == [
        "p0.png",
        "p1.png",
        "p3.png",
    ]


def test_imgdiff_engine_ray_gives_the_local_rows(ray_cwd, tmp_path, capsys):
    pytest.importorskip("lemminflect", reason="caption comparison needs lemminflect ('models')")
    rows = []
    for i in range(4):
        a = np.full((64, 80, 3), 90 + 20 * i, np.uint8)
        b = a.copy()
        b[10:30, 20:50] = (230, 20, 20)
        Image.fromarray(a).save(tmp_path / f"a{i}.png")
        Image.fromarray(b).save(tmp_path / f"b{i}.png")
        rows.append({"id": f"r{i}", "image_path1": f"a{i}.png", "image_path2": f"b{i}.png",
                     "caption1": "A plane.", "caption2": "A boat."})  # fmt: skip
    rows.insert(2, {"id": "bad", "image_path1": "missing.png", "image_path2": "b0.png"})
    manifest = tmp_path / "in.jsonl"
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = {}
    for engine in ("local", "ray"):
        path = tmp_path / f"{engine}.jsonl"
        args = ["imgdiff", str(manifest), "-o", str(path), "--backend", "classical"]
        assert main([*args, "--engine", engine, "--workers", "2"]) == 2  # the missing image
        out[engine] = path.read_text()
    capsys.readouterr()
    assert out["ray"] == out["local"]  # byte for byte, in input order
    assert [json.loads(line).get("id") for line in out["ray"].splitlines()] == [
        "r0", "r1", "bad", "r2", "r3"
    ]  # fmt: skip


def test_a_partial_summary_is_completed_by_ray_row_by_row(ray_cwd, tmp_path, capsys):
    d1, d2 = _pairs(tmp_path)
    out = tmp_path / "out"
    args = [str(d1), str(d2), "-o", str(out)]
    assert _find([*args, "--workers", "1"], capsys)[0] == 2
    full = (out / "summary.jsonl").read_text()
    lines = full.splitlines(keepends=True)
    (out / "summary.jsonl").write_text("".join(lines[:2]) + lines[2][:25])  # a torn third line
    code, stdout, stderr = _find([*args, "--engine", "ray"], capsys)
    assert code == 2
    assert (out / "summary.jsonl").read_text() == full  # no row lost or doubled
    assert [json.loads(line)["name"] for line in stdout.splitlines()] == ["p1", "p2", "p3"]
    assert "dropped its torn last line" in stderr
    assert "2 rows kept from an earlier run" in stderr.splitlines()[-1]


def test_ray_engine_maps_windows_in_input_order_with_setup_once_per_actor(ray_cwd, tmp_path):
    import batch_tasks  # tests/batch (conftest.py puts it on sys.path)
    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(batch_tasks)  # actors cannot import test modules
    engine = RayEngine(2, window=6)
    read: list[int] = []

    def payloads():
        for i in range(12):
            read.append(i)
            yield i

    records = []
    for record in engine.map(batch_tasks.SquareTask(), payloads()):
        records.append(record)
        if len(records) == 1:
            assert read == list(range(6))  # one window read, one dataset at a time
    assert [r["key"] for r in records] == list(range(12))
    local = list(LocalEngine(1).map(batch_tasks.SquareTask(), list(range(12))))
    assert [r.pop("_pid", None) is None for r in records] == [k == 3 for k in range(12)]
    assert records == [{k: v for k, v in r.items() if k != "_pid"} for r in local]
    assert engine.startup_seconds is not None and engine.startup_seconds > 0
    # run_batch(engine="ray"): the same file as the local engine, resumed by key
    rows = [BatchRow(f"k{i}", {"key": f"k{i}", "value": i, "bad": i == 4}) for i in range(6)]
    task, key_of = batch_tasks.KeyedTask(), lambda r: r.get("key")
    run_batch(rows, tmp_path / "local.jsonl", task, key_of=key_of, settings=1, engine="local")
    done = run_batch(rows[:3], tmp_path / "ray.jsonl", task, key_of=key_of, settings=1)
    again = run_batch(rows, tmp_path / "ray.jsonl", task, key_of=key_of, settings=1, engine="ray")
    assert (done.written, again.kept, again.written) == (3, 3, 3)
    assert (tmp_path / "ray.jsonl").read_text() == (tmp_path / "local.jsonl").read_text()


def test_ray_actors_are_set_up_once_for_every_window(ray_cwd, tmp_path):
    # 3 windows of 4 rows on 2 actors: 2 setups (before: a Ray Data pool per window, 6)
    import batch_tasks
    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(batch_tasks)
    log = tmp_path / "setups.txt"
    engine = RayEngine(2, window=4)
    records = list(engine.map(batch_tasks.CountedSetupTask(str(log)), iter(range(12))))
    assert [r["key"] for r in records] == list(range(12))
    setups = log.read_text().split()
    assert len(setups) == 2 and len(set(setups)) == 2
    assert {str(r["_pid"]) for r in records} <= set(setups)
    # a second map starts its own actors; closed after its first record, it ends cleanly
    mapped = engine.map(batch_tasks.CountedSetupTask(str(log)), iter(range(12)))
    assert next(mapped)["key"] == 0
    mapped.close()
    assert len(log.read_text().split()) in (3, 4)  # 1 or 2 more actors had started


def test_connect_joins_the_given_cluster_or_starts_a_local_one(monkeypatch):
    calls = []
    fake = types.SimpleNamespace(is_initialized=lambda: False, init=lambda **kw: calls.append(kw))
    monkeypatch.setitem(sys.modules, "ray", fake)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    RayEngine(3, num_cpus=4).connect()
    RayEngine(3).connect()
    RayEngine(address="ray://head:10001").connect()
    monkeypatch.setenv("RAY_ADDRESS", "auto")
    RayEngine(num_cpus=4).connect()
    quiet = {"include_dashboard": False, "log_to_driver": False}
    assert calls == [
        {"num_cpus": 4, **quiet},
        {"num_cpus": max(3, len(os.sched_getaffinity(0))), **quiet},
        {"address": "ray://head:10001", **quiet},
        {"address": "auto", **quiet},
    ]
    fake.is_initialized = lambda: True  # the caller's ray.init wins: no second init
    RayEngine(address="auto").connect()
    assert len(calls) == 4


def test_a_missing_ray_is_one_line_naming_the_extra(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(MissingDependencyError, match=r"pip install 'spotdiff\[ray\]'"):
        make_engine("ray")
    d1, d2 = _pairs(tmp_path)
    out = tmp_path / "out"
    assert main(["find", str(d1), str(d2), "-o", str(out), "--engine", "ray"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith("spotdiff: error: ray is required for the Ray engine")
    assert line.endswith("install it with: pip install 'spotdiff[ray]'")
    assert not out.exists()  # checked before anything is written


def test_ray_loads_only_when_its_engine_is_made():
    code = (
        "import sys, spotdiff, spotdiff.cli; from spotdiff.batch import RayEngine, make_engine; "
        "make_engine('local', workers=2); print('ray' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False"]
