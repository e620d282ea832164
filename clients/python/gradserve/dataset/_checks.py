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
