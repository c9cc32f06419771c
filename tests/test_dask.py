"""Scale-out: feature extraction on a Dask cluster equals the local result."""

import numpy as np
import pytest

from voiceclf.datasets import from_folder
from voiceclf.errors import VoiceclfError
from voiceclf.features import extract_dataset

distributed = pytest.importorskip("distributed", reason="the optional Dask extra is not installed")


def test_dask_cluster_gives_the_local_result(folder_dataset):
    table = from_folder(folder_dataset).iloc[:16]
    local = extract_dataset(table, use_cache=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None,
                                  processes=True) as cluster:
        seen = []
        remote = extract_dataset(table, use_cache=False, backend="dask", scheduler=cluster.scheduler_address,
                                 progress=lambda d, t: seen.append(d))
    np.testing.assert_array_equal(local.X, remote.X)
    np.testing.assert_array_equal(local.y, remote.y)
    assert seen[-1] == 16


def test_unreachable_scheduler_is_a_clear_error(folder_dataset):
    table = from_folder(folder_dataset).iloc[:2]
    with pytest.raises(VoiceclfError, match="cannot reach the Dask scheduler"):
        extract_dataset(table, use_cache=False, backend="dask", scheduler="tcp://127.0.0.1:9")
