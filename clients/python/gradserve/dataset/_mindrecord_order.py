"""The row orders MindSpore 2.10's MindRecord reader draws (its ShardShuffle / ShardDistributedSample), reproduced
from its probes (/work/ms_suite_dataset7/probe/p1.py, p4.py: 4 files, seeds 0, 7, 1234, two epochs, shards by slice
and by block): each epoch e reseeds with seed + 1 + e, std::default_random_engine (minstd_rand0) driving std::shuffle.
- GLOBAL shuffles the whole permutation; FILES shuffles the file order and rebuilds the permutation from the last
  one's position blocks (the files' row counts, in the given order); INFILE shuffles each file's block of positions,
  each with a fresh engine of the same seed. Without shards the permutation carries over from the last epoch; with
  shards (DistributedSample) it restarts from 0 .. n-1 each epoch, then the shard is cut. num_samples keeps the
  first rows, and the next epoch shuffles those.
- With replacement (num_samples with a shuffle, RandomSampler(replacement=True)) draw i of epoch e is one
  uniform_int_distribution(0, m - 1) draw of std::mt19937(seed + 1 + e + i), m the rows the last epoch gave (the
  draws index those rows), num_samples of them (more than the rows too), else m.
- A shard is every num_shards-th row from shard_id, or with MS_DEV_MINDRECORD_SHARD_BY_BLOCK=true the shard_id-th
  block of ceil(n / num_shards) consecutive rows; both wrap to fill ceil(n / num_shards).
- PARTIAL (MindSpore's "slow" load mode: shard_reader.cc, shard_shuffle.cc, shard_task_list.cc GetNextSampleIds,
  shard_sample.cc UpdatePartitionWhenSlowMode*): each epoch afresh, the files (not a padded block) laid out in an
  order std::shuffle'd with seed + 1 + e, the positions 0 .. n-1 of that layout cut to the shard and to num_samples,
  then shuffled with a fresh engine of the same seed (in chunks of a million; one chunk below that). Probes p1.py:
  36 of 36 orders equal."""
from __future__ import annotations

import os

from ._mt19937 import seeded_shuffle, uniform_draws

GLOBAL, FILES, INFILE = "global", "files", "infile"
_CHUNK = 1_000_000  # (ShardTaskList's ShuffleSize: PARTIAL shuffles its ids in chunks of this many)


def _blocks(counts: list[int]) -> list[tuple[int, int]]:
    """(start, stop) of each file's rows in the concatenated order."""
    out, at = [], 0
    for c in counts:
        out.append((at, at + c))
        at += c
    return out


def shuffle_once(perm: list[int], counts: list[int], mode: str, seed: int) -> list[int]:
    """One epoch's ShardShuffle of perm (mode GLOBAL / FILES / INFILE) seeded with seed."""
    perm = list(perm)
    if mode == GLOBAL:
        seeded_shuffle(perm, seed, "minstd_rand0")
        return perm
    blocks = _blocks(counts)
    if mode == FILES:
        order = list(range(len(blocks)))
        seeded_shuffle(order, seed, "minstd_rand0")
        return [v for f in order for v in perm[blocks[f][0]:blocks[f][1]]]
    for start, stop in blocks:  # INFILE
        part = perm[start:stop]
        seeded_shuffle(part, seed, "minstd_rand0")
        perm[start:stop] = part
    return perm


def partial(counts: list[int], padded: int, seed: int, epoch: int, sharding: tuple[int, int] | None,
            num: int | None, block: bool) -> list[int]:
    """Epoch epoch's Shuffle.PARTIAL order of rows whose files hold counts rows (then padded rows)."""
    s = seed + 1 + epoch
    files = list(range(len(counts)))
    seeded_shuffle(files, s, "minstd_rand0")
    blocks = _blocks(counts)
    layout = [r for f in files for r in range(*blocks[f])]
    layout += range(len(layout), len(layout) + padded)
    ids = list(range(len(layout)))
    if sharding is not None:
        ids = shard(ids, sharding[0], sharding[1], block)
    ids = ids[:num] if num else ids
    for at in range(0, len(ids), _CHUNK):
        part = ids[at:at + _CHUNK]
        seeded_shuffle(part, s, "minstd_rand0")
        ids[at:at + _CHUNK] = part
    return [layout[i] for i in ids]


def shuffled(n: int, counts: list[int], mode: str, seed: int, epoch: int, fresh: bool,
             num: int | None = None) -> list[int]:
    """Epoch epoch's permutation of n rows: carried over from epoch 0 on (the first num rows of it: the next epoch
    shuffles the rows the last one gave), or (fresh: under shards) from 0 .. n-1."""
    perm = list(range(n))
    for e in range(epoch if fresh else 0, epoch + 1):
        perm = shuffle_once(perm, counts, mode, seed + 1 + e)
        if not fresh and num:
            perm = perm[:num]
    return perm


def with_replacement(n: int, seed: int, epoch: int, count: int | None) -> list[int]:
    """Epoch epoch's rows drawn with replacement (count of them each epoch; None: as many as the last epoch gave)."""
    rows = list(range(n))
    for e in range(epoch + 1):
        if not rows:
            return rows
        s = seed + 1 + e
        rows = [rows[uniform_draws(s + i, len(rows), 1)[0]] for i in range(count or len(rows))]
    return rows


def by_block() -> bool:
    return os.environ.get("MS_DEV_MINDRECORD_SHARD_BY_BLOCK", "").lower() == "true"


def shard(order: list[int], num_shards: int, shard_id: int, block: bool) -> list[int]:
    """Shard shard_id of num_shards: by slice (every num_shards-th) or by block, ceil(n / num_shards) rows, wrapping."""
    n = len(order)
    if not n:
        return []
    size = -(-n // num_shards)
    if block:
        return [order[(shard_id * size + k) % n] for k in range(size)]
    return [order[(shard_id + k * num_shards) % n] for k in range(size)]
