"""Small MindSpore top-level functions with nothing to compute on a service."""
from __future__ import annotations

import random
from typing import Any, Callable

import numpy as np

from ._late import late

_RANDOM_OPS = [np.random.default_rng()]  # the random ops' generator (dropout masks: gradserve.ops._dropout)
_GLOBAL_SEED: list = [None]  # set_seed's seed (a seeded functional op's sequence depends on it, as MindSpore's)
_SEEDED: dict = {}  # (op name, its seeds) -> that seeded functional op's one generator (seeded_generator)


def set_seed(seed: int) -> None:
    """Seeds Python's and NumPy's generators (initializers drawn on the client use NumPy) and the random
    ops' generator, so that a program's sequence of dropout masks repeats after the same set_seed; and starts
    every seeded functional op's sequence again (MindSpore 2.10's set_seed resets its per-seed counters)."""
    random.seed(seed)
    np.random.seed(seed)
    _RANDOM_OPS[0] = np.random.default_rng(seed)
    _GLOBAL_SEED[0] = seed
    _SEEDED.clear()


def random_ops_generator() -> np.random.Generator:
    return _RANDOM_OPS[0]


class OpGenerator(np.random.Generator):
    """A random op's own generator (a seed given): numpy's default_rng(seeds), told apart so that a trace can
    start again each one made while it was traced (see op_generator)."""


def op_generator(seeds, repeats: bool = False) -> OpGenerator:
    """default_rng(seeds)'s generator for a seeded random op object (and bernoulli / randperm with a seed: repeats,
    their draw the same at each call in both modes, as MindSpore 2.10's). One made while tracing (an op object made
    in the traced code) is made afresh at each eager call: in PyNative each run of the traced program starts it
    again from its seeds (the trace keeps its first state: Program.rewinds), so a reused trace draws what a fresh
    trace would and a PyNative step with a seeded draw need not be traced again each call; in a GRAPH_MODE / jit
    program it advances from run to run, as MindSpore 2.10's compiled op does (`ops.StandardNormal(3, 4)((3,))` in
    a construct: three calls, three draws; PyNative: one draw three times). (Seeded functional ops advance in both
    modes: seeded_generator.)"""
    g = OpGenerator(np.random.PCG64(seeds))
    tr = current_trace[0]()
    if tr is not None:
        tr.root.generators.append((g, g.bit_generator.state, repeats))
    return g


def seeded_generator(op: str, seeds) -> OpGenerator:
    """The one generator of a seeded functional op (`ops.standard_normal(shape, seed=1)`), kept per (op, seeds)
    and advancing at each call, as MindSpore 2.10's (its _KERNEL_SEED counter per (kernel, seed)): successive calls
    draw different values, the same program in a fresh process the same sequence, and set_seed starts it again
    (with set_seed's seed in it, as MindSpore's seed pair). Inside a trace the per-run draw reads it at each run
    (it is not rewound: Program.rewinds is for the generators of op objects made in traced code)."""
    key = (op, tuple(seeds))
    g = _SEEDED.get(key)
    if g is None:
        lead = [] if _GLOBAL_SEED[0] is None else [0x5EED, _GLOBAL_SEED[0]]  # (tagged: no clash with seeds alone)
        g = _SEEDED[key] = OpGenerator(np.random.PCG64(lead + list(seeds)))
    return g


class MutableDict(dict):
    """A dict made variable by mutable(): its Tensors are inputs of a trace (so they get gradients,
    a tuple over its values in order, as in MindSpore), where a plain dict argument is a constant."""


class MutableInt(int):
    """mutable(3): a Python int MindSpore's graph mode treats as a variable (differentiated: see with_twin)."""

    # a plain list / tuple times a mutable int, wherever the list came from (a display is also rewritten to
    # dynamic_len.repeated): list * int asks the int's reflected method first when the int defines one
    def __mul__(self, other: Any) -> Any:
        if _plain_sequence(other):
            return late.dynamic_len.repeated(other, self)
        return super().__mul__(other)

    def __rmul__(self, other: Any) -> Any:
        if _plain_sequence(other):
            return late.dynamic_len.repeated(other, self)
        return super().__rmul__(other)


def _plain_sequence(v: Any) -> bool:
    """A list / tuple that is not mutable() (those repeat themselves: _TracedSequence)."""
    return isinstance(v, (list, tuple)) and not isinstance(v, _TracedSequence)


class MutableFloat(float):
    """mutable(3.0): likewise."""


class MutableBool(int):
    """mutable(True): bool cannot be subclassed, so an int (0 / 1) that prints as a bool (MindSpore's _Bool)."""

    def __repr__(self) -> str:
        return repr(bool(self))

    __str__ = __repr__


class _TracedSequence:
    """A mutable() list / tuple in a trace: `+` / `*` keep it mutable (its values still unknown when compiling;
    its length too when an operand is dynamic-length or the count a mutable int), so do its slices, and an index
    that is a mutable int is checked as MindSpore's graph checks it (gradserve/_dynamic_len.py)."""

    def __add__(self, other):
        return late.dynamic_len.combined(self, other, super().__add__(other))  # type: ignore[misc]

    def __radd__(self, other):
        base: Any = list if isinstance(self, list) else tuple
        return late.dynamic_len.combined(self, other, base.__add__(other, self) if isinstance(other, base)
                                         else NotImplemented)

    def __mul__(self, n):
        return late.dynamic_len.combined(self, n, super().__mul__(n))  # type: ignore[misc]

    __rmul__ = __mul__

    def __getitem__(self, i):
        late.dynamic_len.check_index(self, i)
        return late.dynamic_len.slice_of(self, i, super().__getitem__(i))  # type: ignore[misc]


class MutableTuple(_TracedSequence, tuple):
    """mutable((...)): an argument grad differentiates (a plain tuple is a constant to MindSpore 2.10's grad);
    in graph mode each number in it gets a gradient (0) and each Tensor its own, in the tuple's structure."""


class LoopEscape(RuntimeError):
    """A traced loop body appends one of its own values to a mutable() list made outside it (_while: the loop
    then runs trip by trip, the list growing by a value each trip)."""


_LOOP_TRACES = ("while_body", "while_cond", "while_probe")
current_trace: list[Callable[[], Any]] = [lambda: None]  # _trace.current, set by _trace (which imports this module)


class MutableList(_TracedSequence, list):
    """mutable([...]): as MutableTuple. A value a traced loop body computes cannot escape it into a list made
    outside the loop: append / extend / insert raise LoopEscape there (_while falls back to trip by trip)."""

    def __init__(self, *a):
        super().__init__(*a)
        made_in = current_trace[0]()  # (its id: a Trace kept here would go with the list into copies and pickles)
        if made_in is not None:
            self._gs_made_in = id(made_in)

    def _gs_check(self, values) -> None:
        for v in values:
            tr = getattr(v, "_trace", None) if getattr(v, "_data", 0) is None else None
            if tr is not None and getattr(tr, "label", None) in _LOOP_TRACES and id(tr) != self.__dict__.get("_gs_made_in"):
                raise LoopEscape(f"a value of a traced loop's {tr.label} appended to a list made outside it")

    def append(self, v) -> None:
        self._gs_check([v])
        super().append(v)

    def extend(self, vs) -> None:
        vs = list(vs)
        self._gs_check(vs)
        super().extend(vs)

    def insert(self, i, v) -> None:
        self._gs_check([v])
        super().insert(i, v)


MUTABLE_NUMBERS = (MutableInt, MutableFloat, MutableBool)


def with_twin(v, twin):
    """A copy of mutable() number v carrying twin: the traced float32 scalar that stands for it inside a
    differentiated function, so that ops MindSpore 2.10 differentiates it through (ops.pow, ops.add,
    ops.fill, `+`, `-`, `**`...) use the twin and give it a gradient. Python arithmetic on v (`v * 2`)
    gives a plain number (no twin): MindSpore's scalar arithmetic carries no gradient either."""
    out = type(v)(v)
    out._twin = twin
    return out


def twin_of(v):
    """The traced scalar standing for a mutable() number (with_twin), or None."""
    return getattr(v, "_twin", None) if isinstance(v, MUTABLE_NUMBERS) else None


def without_twin(v):
    """v as a plain number where MindSpore 2.10 gives a mutable() number no gradient (Tensor `*`, `/`,
    `//`, `%`: the implicit conversion there carries none)."""
    if twin_of(v) is None:
        return v
    return float(v) if isinstance(v, float) else int(v)


def _has_numbers(x) -> bool:
    if isinstance(x, (tuple, list)):
        return any(_has_numbers(v) for v in x)
    if isinstance(x, dict):
        return any(_has_numbers(v) for v in x.values())
    return isinstance(x, (int, float))


def _check(x) -> None:
    if isinstance(x, (tuple, list)):
        for v in x:
            _check(v)
    elif isinstance(x, dict):
        for v in x.values():
            _check(v)
    elif not isinstance(x, (int, float)) and not hasattr(x, "_dtype"):  # numbers and Tensors only
        raise TypeError(f"For 'mutable', the 'input_data' should be one of (bool, int, float, Tensor, tuple, list, "
                        f"dict) or their nested structures, but got {type(x).__name__}: {x!r}.")


def mutable(input_data, dynamic_len: bool = False):
    """MindSpore's `mutable`: a value that graph mode treats as a variable input. A trace per signature
    already treats a Tensor that way, so it is returned as it is; dicts, at any depth, become MutableDicts;
    Python numbers and tuples / lists are marked (Mutable*): grad differentiates a marked tuple / list (a
    plain one is a constant, as in MindSpore 2.10) and, in graph mode, gives numbers a gradient (a number's
    through with_twin, 0s for those in a tuple / list)."""
    _check(input_data)
    if not isinstance(dynamic_len, bool):
        raise TypeError(f"For 'mutable', the second input should be bool, but got: {type(dynamic_len).__name__}")
    if dynamic_len:  # a dynamic-length sequence (gradserve/_dynamic_len.py)
        return late.dynamic_len.make(input_data)
    late.dynamic_len.refuse_constant_length(input_data)
    if isinstance(input_data, MUTABLE_NUMBERS + (MutableTuple, MutableList, MutableDict)):
        return input_data
    if isinstance(input_data, dict):
        out = MutableDict({k: mutable(v) for k, v in input_data.items()})
        setattr(out, "__ms_origin_object__", input_data)
        return out
    if isinstance(input_data, bool):
        return MutableBool(input_data)
    if isinstance(input_data, int):
        return MutableInt(input_data)
    if isinstance(input_data, float):
        return MutableFloat(input_data)
    if isinstance(input_data, (tuple, list)):
        items = [mutable(v) if isinstance(v, dict) else v for v in input_data]
        # marked: grad differentiates a mutable tuple, a plain one is a constant; an empty one made in a graph too (its
        # index is MindSpore's ValueError there: _dynamic_len.check_index)
        if _has_numbers(items) or items or late.dynamic_len.in_graph():
            marked = (MutableList if isinstance(input_data, list) else MutableTuple)(items)
            setattr(marked, "__ms_origin_object__", input_data)  # (MindSpore 2.10 keeps the object it came from)
            return marked
    if hasattr(input_data, "_dtype"):  # a Tensor: itself, so the object it was made from is itself
        setattr(input_data, "__ms_origin_object__", input_data)
    return input_data


Variable = mutable  # MindSpore 1.8's name for it (`Variable(value)`), still used by older programs
