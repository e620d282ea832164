"""MindSpore 2.10's argument type check for the dataset API, with its text."""
from __future__ import annotations

import os


def typed(name: str, value, types: tuple) -> None:
    """TypeError "Argument NAME with value V is not of type [TYPES], but got T." unless value is one of types
    (a bool is no int: it passes only where bool is one of types)."""
    if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
        raise TypeError(f"Argument {name} with value {value} is not of type {list(types)}, but got {type(value)}.")


def workers(num_parallel_workers) -> None:
    """MindSpore 2.10's bound on num_parallel_workers (None: the default): 1 .. this machine's CPU count."""
    if num_parallel_workers is None:
        return
    typed("num_parallel_workers", num_parallel_workers, (int,))
    cpus = os.cpu_count() or 1
    if not 1 <= num_parallel_workers <= cpus:
        raise ValueError(f"num_parallel_workers exceeds the boundary between 1 and {cpus}!")


def row_limit(num_samples):
    """A source's or sampler's num_samples as a row limit: None and 0 both mean every row (MindSpore 2.10 reads all
    rows for num_samples=0: NumpySlices / Generator / TextFile / LJSpeech datasets, Sequential / Distributed
    samplers)."""
    return num_samples or None


def split_sizes(sizes, total: int) -> list[int]:
    """Dataset.split's row counts (MindSpore 2.10, probe /work/ms_suite61/probe/p6.py): ints summing to the size as
    given; fractions summing to 1 each rounded (Python's round), the rows left over to the first part, rows too many
    taken from the first part that keeps at least one."""
    typed("sizes", sizes, (list,))
    if not sizes:
        raise ValueError("sizes cannot be empty.")
    if all(isinstance(s, int) for s in sizes):
        if any(s <= 0 for s in sizes):
            raise ValueError("sizes is a list of int, but there should be no negative or zero numbers.")
        if sum(sizes) != total:
            raise RuntimeError(f"Sum of split sizes {sum(sizes)} is not equal to dataset size {total}.")
        return [int(s) for s in sizes]
    if not all(isinstance(s, float) for s in sizes):
        raise ValueError("sizes should be list of int or list of float.")
    if any(not 0 < s <= 1 for s in sizes):
        raise ValueError("sizes is a list of float, but there should be no numbers outside the range (0, 1].")
    if abs(sum(sizes) - 1) > 1e-6:
        raise ValueError("sizes is a list of float, but the percentages do not sum up to 1.")
    counts = []
    for s in sizes:
        counts.append(int(round(s * total)))
        if counts[-1] == 0:
            raise RuntimeError(f"Split percentage {s} is too small.")
    diff = total - sum(counts)
    take = 0 if diff > 0 else next((i for i, c in enumerate(counts) if c + diff > 0), None)
    if take is not None:
        counts[take] += diff
    return counts
