"""The order TFRecordDataset's rows come out of several files in, as MindSpore 2.10's TFReaderOp gives it (its C++:
tf_reader_op.cc FillIOBlockQueue / HelperIOBlockFiller, nonmappable_leaf_op.cc ShuffleKeys / NeedPushFileToBlockQueue,
jagged_connector.h; checked against its runs, probe t1.py): the files' blocks (file, first row, end row) go to the
workers' queues in turn; each worker reads its blocks' rows one after another, and the rows are taken one from each
worker in turn, a worker that is done left out."""
from __future__ import annotations

import math

from ._mt19937 import seeded_shuffle


def file_order(n_files: int, seeds: list[int]) -> list[int]:
    """The file keys of epoch len(seeds) - 1: shuffled with std::mt19937(seed) once an epoch, each shuffle of the
    last one's order (shuffled_keys_ carries over)."""
    keys = list(range(n_files))
    for seed in seeds:
        seeded_shuffle(keys, seed)
    return keys


def blocks(keys: list[int], counts: list[int], shard: tuple[int, int] | None, equal_rows: bool,
           compressed_num: int | None) -> list[tuple[int, int, int]]:
    """The blocks (file, start row, end row) of a shard, in the order they go to the workers. compressed_num: a
    GZIP / ZLIB source's num_samples (its own rule: whole shards of files, num_samples // files-a-shard rows each)."""
    num_shards, shard_id = shard or (1, 0)
    out = []
    if compressed_num is not None:
        per_shard = len(keys) // num_shards
        to_read = len(keys) - len(keys) % num_shards
        for index, key in enumerate(keys):
            if index % num_shards == shard_id and index < to_read:
                out.append((key, 0, compressed_num // per_shard))
        return out
    if not equal_rows:
        return [(key, 0, counts[key]) for index, key in enumerate(keys) if index % num_shards == shard_id]
    per_shard = math.ceil(sum(counts) / num_shards)
    if per_shard == 0:
        return []
    start, end, pre = shard_id * per_shard, (shard_id + 1) * per_shard, 0
    while pre < end:  # (the keys again from the first while the shard is short: it wraps round)
        for key in keys:
            n = counts[key]
            if pre <= start < pre + n:
                out.append((key, start - pre, min(n, end - pre)))
            elif start <= pre < end:
                out.append((key, 0, min(n, end - pre)))
            pre += n
        if sum(counts) == 0:
            break
    return out


def interleave(blocks_: list[tuple[int, int, int]], num_workers: int) -> list[tuple[int, int]]:
    """(file, row) in the order the workers' rows are taken: block i to worker i % num_workers, one row from each
    worker in turn."""
    streams = [[(f, r) for f, a, b in blocks_[w::num_workers] for r in range(a, b)] for w in range(num_workers)]
    out, at = [], [0] * num_workers
    live = [w for w in range(num_workers)]
    while live:
        for w in list(live):
            if at[w] < len(streams[w]):
                out.append(streams[w][at[w]])
                at[w] += 1
            else:
                live.remove(w)
    return out
