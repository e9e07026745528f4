"""spotdiff.batch._rows: directories and manifests as keyed rows."""

from __future__ import annotations

from PIL import Image

from spotdiff.batch import directory_rows, manifest_rows
from spotdiff.batch._rows import count_rows, directory_key


def test_directory_rows_key_pairs_by_name_and_unmatched_files_by_side(tmp_path):
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    d1.mkdir()
    d2.mkdir()
    for path in (d1 / "a.png", d2 / "a.png", d1 / "b.png", d2 / "c.png"):
        Image.new("RGB", (4, 4)).save(path)
    rows = directory_rows(d1, d2)
    assert [r.key for r in rows] == ["a", "only1:b.png", "only2:c.png"]
    assert rows[1].payload.error.startswith("no file named b.* in")
    assert directory_key("a", "/x/a.png", None) == "only1:a.png"


def test_manifest_rows_keep_bad_lines_as_rows(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": 7, "image_path1": "a"}\n\nnot json\n')
    rows = manifest_rows(path, id_field="id")
    assert not isinstance(rows, list) and next(rows).key == "id:7"  # read line by line
    rows = list(manifest_rows(path, id_field="id"))
    assert [r.key for r in rows] == ["id:7", "line:3"]
    assert count_rows(path) == len(rows) == 2  # the progress bar's total: blank lines left out
    assert rows[1].payload.problem.startswith("line 3 is not JSON")
