"""A store others may read is refused, and the refusal keeps its reason across processes."""

from __future__ import annotations

import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from services.platform.files import LooseFile, refuse_loose


def _loose_store(tmp_path: Path) -> Path:
    store = tmp_path / "views.db"
    store.write_bytes(b"")
    store.chmod(0o644)
    return store


def test_a_refusal_pickles_with_its_path_mode_and_advice(tmp_path: Path) -> None:
    store = _loose_store(tmp_path)
    with pytest.raises(LooseFile) as refused:
        refuse_loose([store])
    copy = pickle.loads(pickle.dumps(refused.value))
    assert (copy.path, copy.mode) == (store, refused.value.mode)
    assert str(copy) == str(refused.value) and "chmod 600" in str(copy)


def test_a_child_process_refusing_a_loose_store_tells_its_parent_why(tmp_path: Path) -> None:
    # A rebuild or a benchmark runs in a spawned process: before, the parent saw only "a
    # process in the pool was terminated abruptly", as the refusal could not be unpickled.
    store = _loose_store(tmp_path)
    spawn = multiprocessing.get_context("spawn")
    with (
        ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool,
        pytest.raises(LooseFile) as refused,
    ):
        pool.submit(refuse_loose, [store]).result(timeout=120)
    assert refused.value.path == store and "chmod 600" in str(refused.value)
