"""Random small programs run twice: through gradserve's MindSpore front end and through JAX (float64), for
tests/clients/test_differential_jax.py and the wide local run (`python tests/clients/_differential_programs.py
N [first_seed]`, against an in-process engine server; not in CI).

A program is a list of steps over a growing list of values (the inputs first). Each op has a MindSpore spelling
and a JAX one; a step is kept only when JAX evaluates it to finite values of modest size, so every program is
valid and smooth enough at its inputs for finite precision to compare (kinks: inputs are drawn away from 0)."""
from __future__ import annotations

import numpy as np

import jax
import jax.numpy as jnp

from gradserve import Tensor, ops
import gradserve as gs

FLOAT_SHAPES = [(3, 4), (4,), (3, 1), (1, 4), (3, 4), ()]
INDICES = np.array([2, 0, 1, 0], np.int32)


def _pos(m, a):
    """1 + a*a: keeps log / sqrt / division in their domains."""
    return a * a + 1.0


def _unary(ms, jx):
    return (1, ms, jx)


# name -> (arity, MindSpore spelling, JAX spelling); extra=True ops also read the int / bool input
UNARY = {
    "sin": _unary(ops.sin, jnp.sin), "cos": _unary(ops.cos, jnp.cos), "tanh": _unary(ops.tanh, jnp.tanh),
    "sigmoid": _unary(ops.sigmoid, jax.nn.sigmoid), "exp_tanh": _unary(lambda a: ops.exp(ops.tanh(a)),
                                                                        lambda a: jnp.exp(jnp.tanh(a))),
    "square": _unary(ops.square, jnp.square), "neg": _unary(ops.neg, jnp.negative),
    "abs": _unary(ops.abs, jnp.abs), "relu": _unary(ops.relu, jax.nn.relu),
    "softplus": _unary(ops.softplus, jax.nn.softplus), "erf": _unary(ops.erf, jax.scipy.special.erf),
    "atan": _unary(ops.atan, jnp.arctan), "log_pos": _unary(lambda a: ops.log(a * a + 1.0),
                                                            lambda a: jnp.log(a * a + 1.0)),
    "sqrt_pos": _unary(lambda a: ops.sqrt(a * a + 1.0), lambda a: jnp.sqrt(a * a + 1.0)),
    "rsqrt_pos": _unary(lambda a: ops.rsqrt(a * a + 1.0), lambda a: 1.0 / jnp.sqrt(a * a + 1.0)),
    "recip_pos": _unary(lambda a: ops.reciprocal(a * a + 1.0), lambda a: 1.0 / (a * a + 1.0)),
    "scale": _unary(lambda a: a * 0.5 - 0.25, lambda a: a * 0.5 - 0.25),
    "stop_gradient": _unary(ops.stop_gradient, jax.lax.stop_gradient),
    "pow3": _unary(lambda a: ops.pow(a, 3), lambda a: a ** 3),
    "sinh": _unary(ops.sinh, jnp.sinh),
    "sum_all": _unary(lambda a: a.sum(), jnp.sum),
    "sum0": _unary(lambda a: ops.sum(a, 0), lambda a: jnp.sum(a, 0)),
    "mean_last_keep": _unary(lambda a: ops.mean(a, -1, keep_dims=True), lambda a: jnp.mean(a, -1, keepdims=True)),
    "amax_last": _unary(lambda a: ops.amax(a, -1), lambda a: jnp.max(a, -1)),
    "prod_last": _unary(lambda a: ops.prod(a, -1), lambda a: jnp.prod(a, -1)),
    "logsumexp_last": _unary(lambda a: ops.logsumexp(a, -1), lambda a: jax.scipy.special.logsumexp(a, -1)),
    "softmax": _unary(lambda a: ops.softmax(a, -1), lambda a: jax.nn.softmax(a, -1)),
    "log_softmax": _unary(lambda a: ops.log_softmax(a, -1), lambda a: jax.nn.log_softmax(a, -1)),
    "cumsum0": _unary(lambda a: ops.cumsum(a, 0), lambda a: jnp.cumsum(a, 0)),
    "sort_last": _unary(lambda a: ops.sort(a, -1)[0], lambda a: jnp.sort(a, -1)),
    "transpose": _unary(lambda a: a.T, lambda a: a.T),
    "reshape_flat": _unary(lambda a: a.reshape(-1), lambda a: a.reshape(-1)),
    "expand0": _unary(lambda a: ops.expand_dims(a, 0), lambda a: jnp.expand_dims(a, 0)),
    "slice_first": _unary(lambda a: a[1:], lambda a: a[1:]),
    "stride_last": _unary(lambda a: a[..., ::2], lambda a: a[..., ::2]),
    "gather_last": _unary(lambda a: ops.gather(a, Tensor(INDICES), a.ndim - 1),
                          lambda a: jnp.take(a, INDICES, axis=a.ndim - 1)),
    "cumprod0": _unary(lambda a: ops.cumprod(a, 0), lambda a: jnp.cumprod(a, 0)),
    "logcumsumexp_last": _unary(lambda a: ops.logcumsumexp(a, a.ndim - 1),
                                lambda a: jax.lax.cumlogsumexp(a, axis=a.ndim - 1)),
    "var_last": _unary(lambda a: ops.var(a, -1, 1), lambda a: jnp.var(a, -1, ddof=1)),
    "std0_keep": _unary(lambda a: ops.std(a, 0, 0, True), lambda a: jnp.std(a, 0, keepdims=True)),
    "clamp": _unary(lambda a: ops.clamp(a, -0.8, 0.9), lambda a: jnp.clip(a, -0.8, 0.9)),
    "tril": _unary(lambda a: ops.tril(a, 0), lambda a: jnp.tril(a, 0)),
    "roll_last": _unary(lambda a: ops.roll(a, 1, a.ndim - 1), lambda a: jnp.roll(a, 1, a.ndim - 1)),
    "flip0": _unary(lambda a: ops.flip(a, (0,)), lambda a: jnp.flip(a, 0)),
    "tile": _unary(lambda a: ops.tile(a, (2,) * a.ndim), lambda a: jnp.tile(a, (2,) * a.ndim)),
    "broadcast": _unary(lambda a: ops.broadcast_to(a, (2, 3, 4)), lambda a: jnp.broadcast_to(a, (2, 3, 4))),
    "max_last": _unary(lambda a: ops.max(a, a.ndim - 1)[0], lambda a: jnp.max(a, a.ndim - 1)),
    "cummax_last": _unary(lambda a: ops.cummax(a, a.ndim - 1)[0], lambda a: jax.lax.cummax(a, axis=a.ndim - 1)),
    "topk2": _unary(lambda a: ops.topk(a, 2)[0], lambda a: jax.lax.top_k(a, 2)[0]),
    "l2_normalize": _unary(lambda a: ops.L2Normalize(axis=-1, epsilon=1e-12)(a),
                           lambda a: a / jnp.sqrt(jnp.maximum(jnp.sum(a * a, -1, keepdims=True), 1e-12))),
    "inverse": _unary(lambda a: ops.inverse(ops.matmul(a, a.T) + 2.0 * ops.eye(a.shape[0], a.shape[0], a.dtype)),
                      lambda a: jnp.linalg.inv(a @ a.T + 2.0 * jnp.eye(a.shape[0]))),
    "trace": _unary(lambda a: ops.trace(a), lambda a: jnp.trace(a)),
    "norm": _unary(lambda a: ops.sqrt((a * a).sum() + 1.0), lambda a: jnp.sqrt(jnp.sum(a * a) + 1.0)),
}
BINARY = {
    "add": (2, ops.add, jnp.add), "sub": (2, ops.sub, jnp.subtract), "mul": (2, ops.mul, jnp.multiply),
    "div_pos": (2, lambda a, b: a / (b * b + 1.0), lambda a, b: a / (b * b + 1.0)),
    "maximum": (2, ops.maximum, jnp.maximum), "minimum": (2, ops.minimum, jnp.minimum),
    "atan2": (2, ops.atan2, jnp.arctan2),
    "where_gt": (2, lambda a, b: ops.where(a > b, a, b * 2.0), lambda a, b: jnp.where(a > b, a, b * 2.0)),
    "matmul_t": (2, lambda a, b: ops.matmul(a, b.T), lambda a, b: jnp.matmul(a, b.T)),
    "concat0": (2, lambda a, b: ops.concat((a, b), 0), lambda a, b: jnp.concatenate((a, b), 0)),
    "stack0": (2, lambda a, b: ops.stack((a, b), 0), lambda a, b: jnp.stack((a, b), 0)),
    "lerp": (2, lambda a, b: ops.lerp(a, b, 0.3), lambda a, b: a + 0.3 * (b - a)),
    "xlogy_pos": (2, lambda a, b: ops.xlogy(a, b * b + 1.0), lambda a, b: a * jnp.log(b * b + 1.0)),
    "hypot": (2, lambda a, b: ops.hypot(a, b), jnp.hypot),
    "pow_pos": (2, lambda a, b: ops.pow(a * a + 1.0, ops.tanh(b)), lambda a, b: (a * a + 1.0) ** jnp.tanh(b)),
}
# ops that read the program's int input (i) or bool input (k) besides one float value
EXTRA = {
    "mul_int": (lambda a, i, k: a * ops.cast(i, a.dtype), lambda a, i, k: a * i.astype(a.dtype)),
    "where_bool": (lambda a, i, k: ops.where(k, a, -a * 0.5), lambda a, i, k: jnp.where(k, a, -a * 0.5)),
    "gather_int": (lambda a, i, k: ops.gather(a, ops.abs(i[0]) % a.shape[-1], a.ndim - 1),
                   lambda a, i, k: jnp.take(a, (jnp.abs(i[0]) % a.shape[-1]).astype(jnp.int32), axis=a.ndim - 1)),
}


class Program:
    """inputs: float arrays (float_dtype), then an int32 and a bool array; steps over values; outputs."""

    def __init__(self, rng: np.random.Generator, n_float: int, n_steps: int, float_dtype: str):
        self.float_dtype = float_dtype
        self.floats = [self._draw(rng, FLOAT_SHAPES[rng.integers(len(FLOAT_SHAPES) - 1)] if i else (3, 4))
                       for i in range(n_float)]
        self.int_in = rng.integers(-3, 4, (3, 4)).astype(np.int32)
        self.bool_in = rng.random((3, 4)) < 0.5
        self.steps: list[tuple[str, tuple[int, ...]]] = []
        values = [jnp.asarray(f, jnp.float64) for f in self.floats]
        for _ in range(n_steps * 4):
            if len(self.steps) >= n_steps:
                break
            self._try_step(rng, values)
        self.n_out = 1 + int(rng.integers(3) == 0) + int(rng.integers(6) == 0)
        picks = [len(values) - 1] + list(rng.integers(0, len(values), self.n_out - 1))
        self.outputs = tuple(int(p) for p in picks)

    def _draw(self, rng, shape):
        mag = rng.uniform(0.3, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
        return np.asarray(mag).astype(self.float_dtype)

    def _try_step(self, rng, values):
        kind = rng.choice(["u", "b", "e"], p=[0.55, 0.35, 0.10])
        table = {"u": UNARY, "b": BINARY, "e": EXTRA}[kind]
        name = list(table)[rng.integers(len(table))]
        recent = max(0, len(values) - 4)  # favour recent values so programs are deep, not flat
        args = tuple(int(rng.integers(recent if rng.random() < 0.7 else 0, len(values)))
                     for _ in range(2 if kind == "b" else 1))
        try:
            out = self._apply(name, [values[a] for a in args], jnp, self.int_in, self.bool_in)
        except Exception:  # noqa: BLE001 - shapes that do not fit: draw another step
            return
        arr = np.asarray(out)
        if arr.size == 0 or not np.all(np.isfinite(arr)) or np.abs(arr).max() > 50 or _near_kink(name, values, args):
            return
        self.steps.append((name, args))
        values.append(out)

    @staticmethod
    def _apply(name, args, lib, i, k):
        side = 1 if lib is not jnp else 2
        if name in UNARY:
            return UNARY[name][side](*args)
        if name in BINARY:
            return BINARY[name][side](*args)
        return EXTRA[name][side - 1](args[0], i, k)

    def run(self, lib, floats, int_in, bool_in):
        """The program's outputs (a tensor, or a tuple for several) in `lib` (jnp or ops)."""
        values = list(floats)
        for name, args in self.steps:
            values.append(self._apply(name, [values[a] for a in args], lib, int_in, bool_in))
        outs = tuple(values[o] for o in self.outputs)
        return outs[0] if len(outs) == 1 else outs

    def ms_fn(self, n_args=None):
        """f(*floats, int_in, bool_in) in gradserve."""
        def fn(*args):
            return self.run(ops, args[:len(self.floats)], args[-2], args[-1])
        return fn

    def jax_fn(self):
        def fn(*args):
            return self.run(jnp, args[:len(self.floats)], args[-2], args[-1])
        return fn

    def ms_args(self):
        return [Tensor(f) for f in self.floats] + [Tensor(self.int_in), Tensor(self.bool_in)]

    def jax_args(self):
        return [jnp.asarray(f, jnp.float64) for f in self.floats] + [jnp.asarray(self.int_in), jnp.asarray(self.bool_in)]

    def describe(self):
        shapes = [f.shape for f in self.floats]
        return f"{self.float_dtype} inputs {shapes} steps {self.steps} outputs {self.outputs}"


def _near_kink(name, values, args):
    """abs / relu / max / min / where / sort near a tie: a derivative there is a choice, not a fact."""
    a = np.asarray(values[args[0]])
    if name in ("abs", "relu", "amax_last", "sort_last", "max_last", "cummax_last", "topk2") and a.size and np.abs(a).min() < 1e-2:
        return True
    if name in ("amax_last", "sort_last", "max_last", "cummax_last", "topk2") and a.ndim and a.shape[-1] > 1:
        s = np.sort(a, -1)
        return bool(np.any(np.diff(s, axis=-1) < 1e-2))
    if name == "std0_keep" and (a.ndim == 0 or np.std(a, 0).min() < 1e-2):  # sqrt at 0: no derivative
        return True
    if name == "clamp" and a.size and np.min(np.minimum(np.abs(a + 0.8), np.abs(a - 0.9))) < 1e-2:
        return True
    if name in ("maximum", "minimum", "where_gt", "atan2", "hypot"):
        b = np.asarray(values[args[1]])
        try:
            gap = np.abs(a - b) if name not in ("atan2", "hypot") else np.abs(a) + np.abs(b)
        except ValueError:
            return False
        return bool(np.size(gap) and np.min(gap) < 1e-2)
    return False
