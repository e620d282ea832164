"""MindSpore's random_poisson / RandomPoisson, standard_normal / StandardNormal, standard_laplace /
StandardLaplace, Cauchy, uniform, shuffle / RandomShuffle (a permutation of the first axis) and multinomial /
Multinomial (class indices drawn by the rows' weights), randperm / Randperm, UniformReal (float32 in [0, 1)).

Values are drawn on the client (numpy's generator): eagerly at the call, or inside a traced construct / jit
as per-run data (a Parameter the program draws anew before each run, as dropout's masks: ops/_dropout.py),
which needs the shape (and Poisson's rate) known when tracing. A seed gives an op object its own generator (a new
object with the same seeds draws the same values, as MindSpore), a seeded functional op its seed's one generator
(advancing at each call and each run, as MindSpore 2.10's: _seeded), otherwise the one `set_seed` seeds. MindSpore's
own bits are not reproduced, only the distribution and its argument rules (checked in MindSpore 2.10's venv:
the error classes below are its own)."""
from __future__ import annotations

import numpy as np

from .. import dtype as _dt
from .._misc import op_generator, random_ops_generator, seeded_generator
from .._tensor import Tensor
from .._calling_errors import input_dtype_error, tensor_type
from .._trace import current
from ._candidate_sampler import _DrawParameter
from ._extra import P
from .._late import late

__all__ = ["random_poisson", "RandomPoisson", "standard_normal", "StandardNormal", "standard_laplace",
           "StandardLaplace", "Cauchy", "shuffle", "RandomShuffle", "uniform", "Uniform", "multinomial", "Multinomial",
           "randperm", "Randperm", "UniformReal"]

_POISSON_OUT = ("float16", "float32", "float64", "int32", "int64")


def _seed(seed, where: str):
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise TypeError(f"For '{where}', the 'seed' must be an int >= 0, but got {seed!r} "
                        f"({type(seed).__name__})")
    return seed


def _generator(seeds, repeats: bool = False) -> np.random.Generator | None:
    """An op object's own generator when any seed is set (not None, not 0), else None (the shared one). (One made
    while tracing starts again at each run of a PyNative trace, as eagerly at each call, and at every run where it
    `repeats`: _misc.op_generator.)"""
    used = [s for s in seeds if s]
    return op_generator(used, repeats) if used else None


def _seeded(op: str, seeds) -> np.random.Generator | None:
    """A seeded functional op's generator: one per (op, seeds) for the process, advancing at each call (MindSpore
    2.10's: `standard_normal(s, seed=1)` twice gives two different draws, the same two in a fresh process), or
    None (the shared one) when no seed is set. (Op objects keep _generator's: one per object.)"""
    used = [s for s in seeds if s]
    return seeded_generator(op, used) if used else None


def _shape_from_tensor(shape, where: str) -> tuple:
    if not isinstance(shape, Tensor):
        raise TypeError(f"For '{where}', 'shape' must be a 1-D int32 / int64 Tensor, got {type(shape).__name__}")
    if shape._dtype not in ("int32", "int64"):
        raise TypeError(f"For '{where}', 'shape' must be int32 or int64, got {shape.dtype}")
    if shape.ndim != 1:
        raise ValueError(f"For '{where}', 'shape' must be a 1-D Tensor, got rank {shape.ndim}")
    dims = shape._concrete(f"{where}'s shape (it fixes the output's shape)")
    if (dims < 0).any():
        raise ValueError(f"For '{where}', every dimension of 'shape' must be >= 0, got {dims.tolist()}")
    return tuple(int(d) for d in dims)


def _out(draw, shape: tuple, dtype: str, where: str) -> Tensor:
    """draw() eagerly, or a per-run draw inside a trace: every random op's one way in (draw uses the generator
    `set_seed` seeds, or an op's own from _generator), so that a trace with draws is reused as any other."""
    if current() is None:
        return Tensor(np.asarray(draw(), dtype))
    tr = current()
    while tr is not None:
        if tr.user_vmaps:
            raise NotImplementedError(f"{where} inside vmap is not supported: draw the values outside vmap")
        tr = tr.parent
    return _DrawParameter(draw, shape, dtype)


def _poisson(shape, rate, rng, dtype, where: str) -> Tensor:
    dims = _shape_from_tensor(shape, where)
    if not isinstance(rate, Tensor):
        raise TypeError(f"For '{where}', 'rate' must be a Tensor, got {type(rate).__name__}")
    if rate._dtype not in _POISSON_OUT:
        raise TypeError(f"For '{where}', 'rate' must be float16 / float32 / float64 / int32 / int64, got {rate.dtype}")
    name = _dt.to_name(dtype) if dtype is not None else "float32"
    if name not in _POISSON_OUT:
        raise TypeError(f"For '{where}', 'dtype' must be one of {list(_POISSON_OUT)}, got {name}")
    lam = np.asarray(rate._concrete(f"{where}'s rate (the draw is made on the client)"), np.float64)
    out_shape = dims + tuple(lam.shape)
    return _out(lambda: (rng or random_ops_generator()).poisson(np.broadcast_to(lam, out_shape)), out_shape, name,
                where)


def random_poisson(shape, rate, seed=None, dtype=_dt.float32):
    """Poisson draws of shape `shape` + rate.shape (one set of rate.shape per leading index), each with its
    element of `rate` as mean. shape: a 1-D int32 / int64 Tensor; dtype: float16 / 32 / 64, int32 / 64."""
    return _poisson(shape, rate, _seeded("random_poisson", [_seed(seed, "random_poisson")]), dtype, "random_poisson")


class RandomPoisson:
    """ops.RandomPoisson(seed=0, seed2=0, dtype=mstype.int64)(shape, rate): random_poisson."""

    def __init__(self, seed=0, seed2=0, dtype=_dt.int64):
        self.seed, self.seed2 = _seed(seed, "RandomPoisson"), _seed(seed2, "RandomPoisson")
        self.dtype = dtype
        self._rng = _generator([self.seed, self.seed2])

    def __call__(self, shape, rate):
        return _poisson(shape, rate, self._rng, self.dtype, "RandomPoisson")


def _normal(shape, rng, where: str, law: str = "standard_normal") -> Tensor:
    """float32 draws of `shape` from the generator's method `law` (standard_normal, laplace)."""
    if isinstance(shape, Tensor):
        dims = _shape_from_tensor(shape, where)
    elif isinstance(shape, tuple) and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        dims = shape
    else:
        raise TypeError(f"For '{where}', 'shape' must be a tuple of ints >= 0 or a 1-D int Tensor, got {shape!r}")
    return _out(lambda: getattr(rng or random_ops_generator(), law)(size=dims), dims, "float32", where)


def standard_normal(shape, seed=None):
    """float32 draws of N(0, 1) of `shape` (a tuple, or a 1-D int Tensor)."""
    return _normal(shape, _seeded("standard_normal", [_seed(seed, "standard_normal")]), "standard_normal")


class StandardNormal:
    """ops.StandardNormal(seed=0, seed2=0)(shape): standard_normal; one op draws anew on each call."""

    def __init__(self, seed=0, seed2=0):
        self.seed, self.seed2 = _seed(seed, "StandardNormal"), _seed(seed2, "StandardNormal")
        self._rng = _generator([self.seed, self.seed2])

    def __call__(self, shape):
        return _normal(shape, self._rng, "StandardNormal")


def standard_laplace(shape, seed=None):
    """float32 draws of the Laplace law of location 0 and scale 1, of `shape` (a tuple, or a 1-D int Tensor)."""
    return _normal(shape, _seeded("standard_laplace", [_seed(seed, "standard_laplace")]), "standard_laplace", "laplace")


class StandardLaplace:
    """ops.StandardLaplace(seed=0, seed2=0)(shape): standard_laplace; one op draws anew on each call."""

    def __init__(self, seed=0, seed2=0):
        self.seed, self.seed2 = _seed(seed, "StandardLaplace"), _seed(seed2, "StandardLaplace")
        self._rng = _generator([self.seed, self.seed2])

    def __call__(self, shape):
        return _normal(shape, self._rng, "StandardLaplace", "laplace")


def _shuffle_seed(seed, where: str):
    """MindSpore 2.10's rules: not an int (a bool, a float) is a TypeError, a negative int a ValueError."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"For '{where}', the 'seed' must be an int, but got {seed!r} ({type(seed).__name__})")
    if seed < 0:
        raise ValueError(f"For '{where}', the 'seed' must be >= 0, but got {seed}")
    return seed


def _shuffle(x, rng, where: str) -> Tensor:
    """x with its first axis permuted (a fresh permutation per call / per run); a 0-d x as it is."""
    if not isinstance(x, Tensor):
        raise TypeError(f"For '{where}', 'x' must be a Tensor, got {type(x).__name__}")
    if x.ndim == 0:
        return x
    n = int(x.shape[0])
    perm = _out(lambda: (rng or random_ops_generator()).permutation(n), (n,), "int64", where)
    return P.gather(x, perm, 0)


def shuffle(x, seed=None):
    """x's slices along axis 0 in a random order (ops.shuffle)."""
    return _shuffle(x, _seeded("shuffle", [_shuffle_seed(seed, "shuffle")]), "shuffle")


class RandomShuffle:
    """ops.RandomShuffle(seed=0, seed2=0)(x): shuffle; one op draws a new order on each call (two ops with
    the same seeds draw the same orders)."""

    def __init__(self, seed=0, seed2=0):
        self.seed, self.seed2 = _shuffle_seed(seed, "RandomShuffle"), _shuffle_seed(seed2, "RandomShuffle")
        self._rng = _generator([self.seed, self.seed2])

    def __call__(self, x):
        return _shuffle(x, self._rng, "RandomShuffle")


class Cauchy:
    """ops.Cauchy(size, median=0.0, sigma=1.0)(): float32 draws of the Cauchy law median + sigma * tan(pi (u - 1/2))
    of shape `size` (a non-empty list of ints > 0: MindSpore 2.10's checks and error classes; it does not check
    sigma); one op draws anew on each call, from the generator `set_seed` seeds."""

    def __init__(self, size, median=0.0, sigma=1.0):
        if not isinstance(size, list):
            raise TypeError(f"For 'Cauchy', the type of 'size' should be 'list', but got type "
                            f"'{type(size).__name__}'.")
        if not size:
            raise ValueError("For primitive[Cauchy], the the length of 'size' must be greater than 0, but got 0.")
        for i, d in enumerate(size):
            if isinstance(d, bool) or not isinstance(d, int) or d <= 0:
                raise ValueError(f"For 'Cauchy', the 'size[{i}]' must be int and must > 0, but got '{d}' with type "
                                 f"'{type(d).__name__}'.")
        self.size, self.median, self.sigma = tuple(size), float(median), float(sigma)

    def __call__(self):
        dims, m, s = self.size, self.median, self.sigma
        return _out(lambda: m + s * random_ops_generator().standard_cauchy(size=dims), dims, "float32", "Cauchy")


def uniform(shape, minval, maxval, seed=None, dtype=None):
    """ops.uniform(shape, minval, maxval, seed=None, dtype=float32): draws of U[minval, maxval) (int32: integers
    in [minval, maxval)); inside a construct a per-run draw, as the other random ops here. The
    draws are numpy's, not MindSpore's (a seed repeats gradserve's sequence, not MindSpore's)."""
    o = late.ops
    kind = "float32" if dtype is None else getattr(dtype, "name", str(dtype)).lower()
    if kind not in ("float32", "int32"):
        raise TypeError(f"For 'uniform', dtype must be float32 or int32, got {kind}")
    dims = tuple(int(d) for d in shape)
    rng = _seeded("uniform", [_seed(seed, "uniform")])
    u = _out(lambda: (rng or random_ops_generator()).random(size=dims), dims, "float32", "uniform")
    lo, hi = (v if isinstance(v, Tensor) else Tensor(np.float32(v)) for v in (minval, maxval))
    if kind == "int32":
        span = o.cast(o.sub(hi, lo), "float32")
        return o.add(o.cast(o.floor(o.mul(u, span)), "int32"), o.cast(lo, "int32"))
    return o.add(o.cast(lo, "float32"), o.mul(u, o.cast(o.sub(hi, lo), "float32")))


class Uniform:
    """random_ops.Uniform(minval=0.0, maxval=1.0, seed=0, offset=0)(x): draws of U[minval, maxval) shaped and typed as
    x (float16 / 32 / 64; MindSpore 2.10's checks, classes and texts). A seed > 0 gives the op its own generator."""

    def __init__(self, minval=0.0, maxval=1.0, seed=0, offset=0):
        for name, v in (("minval", minval), ("maxval", maxval)):
            if not isinstance(v, float):
                raise TypeError(f"For 'Uniform', the '{name}' must be float, but got '{type(v).__name__}'")
        if minval > maxval:
            raise ValueError(f"For 'Uniform', the 'minval' should be <= maxval: {maxval}, but got {minval}.")
        self.minval, self.maxval, self.seed, self.offset = minval, maxval, seed, offset
        self._rng = _generator([s for s in (seed, offset) if isinstance(s, int) and s > 0])

    def __call__(self, x):
        if not isinstance(x, Tensor):
            raise TypeError(f"For Primitive[Uniform], the type of input argument[x] must be Tensor but got "
                            f"{type(x).__name__}.")
        if x._dtype not in ("float16", "float32", "float64"):
            raise input_dtype_error("Uniform", "x", ("float16", "float32", "float64"), tensor_type(x))
        dims, lo, span = tuple(x.shape), self.minval, self.maxval - self.minval
        return _out(lambda: lo + span * (self._rng or random_ops_generator()).random(size=dims), dims, x._dtype,
                    "Uniform")


def _multinomial(x, num_samples, replacement: bool, rng, dtype: str, where: str) -> Tensor:
    """[..., C] non-negative weights (1-D or 2-D) -> [..., num_samples] class indices, each row drawn by its
    weights normalized (without replacement: distinct classes, num_samples <= C). The weights are read as values
    (the draw is made on the client)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"For '{where}', the input must be a Tensor, got {type(x).__name__}")
    if x._dtype not in ("float16", "float32", "float64"):
        raise TypeError(f"For '{where}', the input must be float16, float32 or float64, got {x.dtype}")
    if x.ndim not in (1, 2):
        raise ValueError(f"For '{where}', the input must be 1-D or 2-D, got shape {list(x.shape)}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0:
        raise TypeError(f"For '{where}', 'num_samples' must be an int > 0, got {num_samples!r}")
    c = int(x.shape[-1])
    if not replacement and num_samples > c:
        raise ValueError(f"For '{where}', the 'num_samples' must be less than the last dimension of input without "
                         f"'replacement', but got 'num_samples': {num_samples} and 'replacement': False")
    w = np.asarray(x._host_copy(), np.float64).reshape(-1, c)  # (inside a trace: a value read)
    if (w < 0).any() or not np.isfinite(w).all() or (w.sum(1) <= 0).any():
        raise ValueError(f"For '{where}', every row of the input must hold finite weights >= 0 with a positive sum")
    shape = tuple(x.shape[:-1]) + (num_samples,)

    def draw():
        g = rng or random_ops_generator()
        return np.stack([g.choice(c, num_samples, replace=replacement, p=row / row.sum()) for row in w]).reshape(shape)
    return _out(draw, shape, dtype, where)


def multinomial(input, num_samples, replacement=True, seed=None):  # noqa: A002
    """ops.multinomial(input, num_samples, replacement=True, seed=None): int32 class indices."""
    rng = _seeded("multinomial", [_seed(seed, "multinomial")])
    return _multinomial(input, num_samples, bool(replacement), rng, "int32", "multinomial")


class Multinomial:
    """ops.Multinomial(seed=0, seed2=0, dtype=mstype.int32)(x, num_samples): draws with replacement."""

    def __init__(self, seed=0, seed2=0, dtype=_dt.int32):
        self.seed, self.seed2 = _seed(seed, "Multinomial"), _seed(seed2, "Multinomial")
        self.dtype = _dt.to_name(dtype)
        if self.dtype not in ("int32", "int64"):
            raise TypeError(f"For 'Multinomial', 'dtype' must be int32 or int64, got {self.dtype}")
        self._rng = _generator([self.seed, self.seed2])

    def __call__(self, x, num_samples):
        return _multinomial(x, num_samples, True, self._rng, self.dtype, "Multinomial")


_PERM_OUT = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32",
             "float64")


def _perm_count(n, where: str) -> int:
    if isinstance(n, Tensor):
        if not n._dtype.startswith(("int", "uint")) or n.size != 1:
            raise TypeError(f"For '{where}', 'n' must be an int or a one-element int Tensor, got {n.dtype} "
                            f"of shape {list(n.shape)}")
        n = int(n._concrete(f"{where}'s n (it fixes the output)").reshape(-1)[0])
    elif isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"For '{where}', 'n' must be an int, got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"For '{where}', 'n' must be >= 0, got {n}")
    return int(n)


def _perm_dtype(dtype, where: str) -> str:
    name = _dt.to_name(dtype)
    if name not in _PERM_OUT:
        raise TypeError(f"For '{where}', 'dtype' must be one of {', '.join(_PERM_OUT)}, got {dtype}")
    return name


def randperm(n, seed=0, offset=0, dtype=_dt.int64):
    """ops.randperm(n, seed=0, offset=0, dtype=int64): 0..n-1 in a random order (a seed > 0: its own order)."""
    count = _perm_count(n, "randperm")
    out = _perm_dtype(dtype, "randperm")
    rng = _generator([_shuffle_seed(seed, "randperm"), _shuffle_seed(offset, "randperm")], repeats=True)
    return _out(lambda: (rng or random_ops_generator()).permutation(count), (count,), out, "randperm")


class Randperm:
    """ops.Randperm(max_length=1, pad=-1, dtype=int32)(n): a permutation of 0..n-1, then pad up to max_length."""

    def __init__(self, max_length=1, pad=-1, dtype=_dt.int32):
        if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1:
            raise ValueError(f"For 'Randperm', 'max_length' must be an int >= 1, got {max_length!r}")
        self.max_length, self.pad, self.dtype = max_length, int(pad), _perm_dtype(dtype, "Randperm")

    def __call__(self, n):
        count = _perm_count(n, "Randperm")
        if count > self.max_length:
            raise ValueError(f"For 'Randperm', 'n' ({count}) must be <= max_length ({self.max_length})")

        def draw():
            out = np.full(self.max_length, self.pad, np.int64)
            out[:count] = random_ops_generator().permutation(count)
            return out
        return _out(draw, (self.max_length,), self.dtype, "Randperm")


def _seeds_checked(where: str, *seeds) -> list:
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, int):
            raise TypeError(f"For '{where}', the 'seed' must be int, but got '{type(s).__name__}'")
        if s < 0:
            raise ValueError(f"For '{where}', the 'seed' must be int and must >= 0, but got '{s}' with type 'int'.")
    return list(seeds)


class UniformReal:
    """ops.UniformReal(seed=0, seed2=0)(shape): float32 draws in [0, 1); shape a tuple of ints or a 1-D int
    Tensor; one op draws anew on each call, two ops of the same nonzero seeds the same values."""

    def __init__(self, seed=0, seed2=0):
        self.seed, self.seed2 = _seeds_checked("UniformReal", seed, seed2)
        self._rng = _generator([self.seed, self.seed2])

    def __call__(self, shape):
        if isinstance(shape, Tensor):
            dims = _shape_from_tensor(shape, "UniformReal")
        elif isinstance(shape, tuple) and all(isinstance(d, int) and not isinstance(d, bool) for d in shape):
            for i, d in enumerate(shape):
                if d < 0:
                    raise ValueError(f"For primitive[UniformReal], the the {i}th dimension of input shape must be "
                                     f"greater than or equal to 0, but got {d}.")
            dims = shape
        else:
            raise TypeError(f"For 'UniformReal', 'shape' must be a tuple of ints or a 1-D int Tensor, got "
                            f"{type(shape).__name__}")
        rng = self._rng
        return _out(lambda: (rng or random_ops_generator()).random(size=dims), dims, "float32", "UniformReal")
