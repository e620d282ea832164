"""`mindspore.dataset.engine.datasets_standard_format`: OBSMindDataset's argument checks, as MindSpore 2.10 makes
them (its classes and texts); a dataset that passes them is refused: gradserve does not read MindRecord files from
OBS (MindSpore itself needs Huawei's `obs` SDK for it)."""
from __future__ import annotations


from .. import _checks
from .._samplers import Shuffle, check_source_args


class OBSMindDataset:
    def __init__(self, dataset_files, server, ak, sk, sync_obs_path, columns_list=None, shuffle=Shuffle.GLOBAL,
                 num_shards=None, shard_id=None, shard_equal_rows=True):
        _checks.typed("dataset_files", dataset_files, (list,))
        for item in dataset_files:
            if not isinstance(item, str):
                raise TypeError(f"Item of dataset files is not of type [{str}], but got {type(item)}.")
        _checks.typed("server", server, (str,))
        if not server.startswith(("http://", "https://")):
            raise ValueError(f"server should be a str that starts with http:// or https://, but got {server}.")
        for name, value in (("ak", ak), ("sk", sk), ("sync_obs_path", sync_obs_path)):
            _checks.typed(name, value, (str,))
        if columns_list is not None:
            _checks.typed("columns_list", columns_list, (list,))
        if not isinstance(shuffle, (bool, Shuffle)):
            raise TypeError("shuffle must be of boolean or enum of 'Shuffle' values like 'Shuffle.GLOBAL' or "
                            "'Shuffle.FILES'.")
        check_source_args(None, None, None, None, num_shards, shard_id)
        _checks.typed("shard_equal_rows", shard_equal_rows, (bool,))
        raise NotImplementedError("OBSMindDataset is not implemented by gradserve (MindRecord files read from OBS; "
                                  "MindSpore needs Huawei's 'obs' SDK for it)")
