"""nn.LSTM, nn.GRU, nn.RNN and their cells (nn.LSTMCell, nn.GRUCell, nn.RNNCell), MindSpore 2.x's, built from
matmul / sigmoid / tanh and unrolled over the input's (static) sequence length.

Weights and gates follow MindSpore 2.10's CPU layout, which is also PyTorch's (checked: the same
weights give the same outputs to 1e-7 in float32): weight_ih_l{k}[_reverse] [G * hidden, in],
weight_hh_l{k}[_reverse] [G * hidden, hidden], bias_ih / bias_hh [G * hidden], with the gates stacked
as (i, f, g, o) for the LSTM and (r, z, n) for the GRU. So weights loaded from a MindSpore (or PyTorch)
model give its numbers. `seq_length` (per-sample valid lengths) masks the steps past each length, as
MindSpore's (and PyTorch's packed sequences). Limit: the sequence is unrolled (a graph grows with its
length; each length is its own graph).
"""
from __future__ import annotations

import math

import numpy as np

from .. import ops as _ops
from .._cellbase import Cell
from .._tensor import Parameter, ParameterTuple, Tensor
from ..ops._recurrent import linear as _linear, step as _step

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _uniform(shape, hidden: int, dt: str) -> Parameter:
    """MindSpore's default: uniform(-1/sqrt(hidden), 1/sqrt(hidden)), drawn with NumPy (set_seed repeats it)."""
    bound = 1.0 / math.sqrt(hidden)
    return Parameter(Tensor(np.random.uniform(-bound, bound, shape).astype(dt)))


class _RNNBase(Cell):
    _mode = "RNN_TANH"

    def __init__(self, input_size, hidden_size, num_layers=1, has_bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, dtype=None):
        super().__init__()
        where = type(self).__name__
        for name, v in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise ValueError(f"For '{where}', the '{name}' must be a positive int, but got {v!r}.")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
            raise ValueError(f"For '{where}', the 'dropout' must be a number in range [0, 1), but got {dropout!r}.")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.has_bias, self.batch_first, self.dropout = has_bias, bool(batch_first), float(dropout)
        self.bidirectional = bool(bidirectional)
        self.num_directions = 2 if bidirectional else 1
        dt = getattr(dtype, "name", dtype) or "float32"
        g = _GATES[self._mode] * hidden_size
        suffixes = [f"_l{k}{'_reverse' if d else ''}" for k in range(num_layers) for d in range(self.num_directions)]
        ins = [input_size if k == 0 else hidden_size * self.num_directions
               for k in range(num_layers) for _ in range(self.num_directions)]
        # MindSpore's order: every weight_ih, then every weight_hh, bias_ih, bias_hh
        for s, n_in in zip(suffixes, ins):
            setattr(self, "weight_ih" + s, _uniform((g, n_in), hidden_size, dt))
        for s in suffixes:
            setattr(self, "weight_hh" + s, _uniform((g, hidden_size), hidden_size, dt))
        if has_bias:
            for kind in ("bias_ih", "bias_hh"):
                for s in suffixes:
                    setattr(self, kind + s, _uniform((g,), hidden_size, dt))
        self._gs_suffixes = suffixes

    def _params(self, kind: str) -> ParameterTuple:
        return ParameterTuple(getattr(self, kind + s) for s in self._gs_suffixes)

    def _set_params(self, kind: str, params) -> None:
        params = list(params)
        if len(params) != len(self._gs_suffixes):
            raise ValueError(f"{type(self).__name__}: {len(params)} {kind} parameter(s) for "
                             f"{len(self._gs_suffixes)} layer direction(s)")
        for s, p in zip(self._gs_suffixes, params):
            setattr(self, kind + s, p)

    # MindSpore's ParameterTuples of the weights, per layer and direction; assigning one replaces them
    w_ih_list = property(lambda self: self._params("weight_ih"), lambda self, v: self._set_params("weight_ih", v))
    w_hh_list = property(lambda self: self._params("weight_hh"), lambda self, v: self._set_params("weight_hh", v))
    b_ih_list = property(lambda self: self._params("bias_ih"), lambda self, v: self._set_params("bias_ih", v))
    b_hh_list = property(lambda self: self._params("bias_hh"), lambda self, v: self._set_params("bias_hh", v))

    def _weights(self, idx: int):
        s = self._gs_suffixes[idx]
        b = (getattr(self, "bias_ih" + s), getattr(self, "bias_hh" + s)) if self.has_bias else (None, None)
        return getattr(self, "weight_ih" + s), getattr(self, "weight_hh" + s), b[0], b[1]

    def _direction(self, x, idx: int, h, c, reverse: bool, valid):
        """One layer in one direction over x [T, B, in]: (outputs [T, B, H], h_T, c_T). valid: per step a
        [B, 1] 1/0 mask (seq_length) or None: past a sample's length its state holds and its output is 0,
        so the reverse direction starts at each sample's last step (PyTorch's packed sequences too)."""
        w_ih, w_hh, b_ih, b_hh = self._weights(idx)
        steps, batch = x.shape[0], x.shape[1]
        gx = _ops.reshape(_linear(_ops.reshape(x, (steps * batch, x.shape[2])), w_ih, b_ih), (steps, batch, -1))
        outs = [None] * steps
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            h_new, c_new = _step(self._mode, gx[t], h, c, w_hh, b_hh, self.hidden_size)
            if valid is None:
                h, c = h_new, c_new
                outs[t] = h
                continue
            keep = valid[t]
            h = keep * h_new + (1.0 - keep) * h
            c = None if c is None else keep * c_new + (1.0 - keep) * c
            outs[t] = keep * h_new
        return _ops.stack(outs, 0), h, c

    def _check(self, x, hx):
        where = type(self).__name__
        if not isinstance(x, Tensor) or x.ndim != 3 or x.shape[2] != self.input_size:
            shape = list(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"For '{where}', the input must be a 3-D Tensor with {self.input_size} features in "
                             f"its last axis, but got {shape}.")
        batch = x.shape[0] if self.batch_first else x.shape[1]
        want = (self.num_layers * self.num_directions, batch, self.hidden_size)
        states = hx if isinstance(hx, (tuple, list)) else (hx,)
        for s in states:
            if s is not None and tuple(s.shape) != want:
                raise ValueError(f"For '{where}', an initial state has shape {list(s.shape)}, expected "
                                 f"{list(want)} (num_layers * num_directions, batch, hidden_size).")
        return batch

    def _run(self, x, h0, c0, valid):
        """All layers: (output, h_n, c_n) with x time-major [T, B, in]."""
        hs, cs = [], []
        for layer in range(self.num_layers):
            if layer and self.dropout:
                x = _ops.dropout(x, self.dropout, training=self.training)
            outs = []
            for d in range(self.num_directions):
                idx = layer * self.num_directions + d
                out, h, c = self._direction(x, idx, h0[idx], c0[idx] if c0 is not None else None, bool(d), valid)
                outs.append(out)
                hs.append(h)
                cs.append(c)
            x = outs[0] if len(outs) == 1 else _ops.concat(outs, -1)
        return x, _ops.stack(hs, 0), (_ops.stack(cs, 0) if c0 is not None else None)

    def _valid(self, seq_length, steps: int, batch: int, dt: str):
        """Per step t, [B, 1]: 1.0 where t < seq_length[b] (None without seq_length)."""
        if seq_length is None:
            return None
        if not isinstance(seq_length, Tensor) or tuple(seq_length.shape) != (batch,) or \
                not seq_length._dtype.startswith("int"):
            got = f"{seq_length.dtype} {list(seq_length.shape)}" if isinstance(seq_length, Tensor) else \
                type(seq_length).__name__
            raise ValueError(f"For '{type(self).__name__}', seq_length must be an int Tensor of shape [{batch}], "
                             f"but got {got}.")
        lengths = _ops.reshape(seq_length, (batch, 1))
        return [_ops.cast(_ops.greater(lengths, t), dt) for t in range(steps)]

    def _forward(self, x, hx, seq_length):
        batch = self._check(x, hx)
        states = list(hx) if isinstance(hx, (tuple, list)) else [hx]
        zeros = Tensor(np.zeros((self.num_layers * self.num_directions, batch, self.hidden_size), x._dtype))
        h0 = states[0] if states[0] is not None else zeros
        c0 = None
        if self._mode == "LSTM":
            c0 = states[1] if len(states) > 1 and states[1] is not None else zeros
        if self.batch_first:
            x = _ops.transpose(x, (1, 0, 2))
        out, h, c = self._run(x, h0, c0, self._valid(seq_length, x.shape[0], batch, x._dtype))
        if self.batch_first:
            out = _ops.transpose(out, (1, 0, 2))
        return out, h, c


class RNN(_RNNBase):
    """nn.RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', has_bias=True, batch_first=False,
    dropout=0.0, bidirectional=False)(x, hx=None, seq_length=None) -> (output, h_n)."""

    def __init__(self, *args, **kwargs):
        nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if len(args) > 3:  # MindSpore's positional order puts nonlinearity fourth
            nonlinearity, args = args[3], args[:3] + args[4:]
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"For 'RNN', the 'nonlinearity' must be 'tanh' or 'relu', but got {nonlinearity!r}.")
        object.__setattr__(self, "_mode", "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU")
        super().__init__(*args, **kwargs)

    def construct(self, x, hx=None, seq_length=None):
        out, h, _ = self._forward(x, hx, seq_length)
        return out, h


class GRU(_RNNBase):
    """nn.GRU(input_size, hidden_size, num_layers=1, has_bias=True, batch_first=False, dropout=0.0,
    bidirectional=False)(x, hx=None, seq_length=None) -> (output, h_n)."""

    _mode = "GRU"

    def construct(self, x, hx=None, seq_length=None):
        out, h, _ = self._forward(x, hx, seq_length)
        return out, h


class LSTM(_RNNBase):
    """nn.LSTM(input_size, hidden_size, num_layers=1, has_bias=True, batch_first=False, dropout=0.0,
    bidirectional=False)(x, hx=None, seq_length=None) -> (output, (h_n, c_n)); hx = (h_0, c_0)."""

    _mode = "LSTM"

    def construct(self, x, hx=None, seq_length=None):
        out, h, c = self._forward(x, hx, seq_length)
        return out, (h, c)


class _CellBase(Cell):
    _mode = "RNN_TANH"

    def __init__(self, input_size: int, hidden_size: int, has_bias: bool = True, dtype=None):
        super().__init__()
        dt = getattr(dtype, "name", dtype) or "float32"
        g = _GATES[self._mode] * hidden_size
        self.input_size, self.hidden_size, self.has_bias = input_size, hidden_size, has_bias
        self.weight_ih = _uniform((g, input_size), hidden_size, dt)
        self.weight_hh = _uniform((g, hidden_size), hidden_size, dt)
        self.bias_ih = _uniform((g,), hidden_size, dt) if has_bias else None
        self.bias_hh = _uniform((g,), hidden_size, dt) if has_bias else None

    def _cell(self, x, h, c):
        return _step(self._mode, _linear(x, self.weight_ih, self.bias_ih), h, c, self.weight_hh, self.bias_hh,
                     self.hidden_size)


class RNNCell(_CellBase):
    """nn.RNNCell(input_size, hidden_size, has_bias=True, nonlinearity='tanh')(x [B, in], hx [B, H]) -> h'."""

    def __init__(self, input_size, hidden_size, has_bias=True, nonlinearity="tanh", dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"For 'RNNCell', the 'nonlinearity' must be 'tanh' or 'relu', but got "
                             f"{nonlinearity!r}.")
        object.__setattr__(self, "_mode", "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU")
        super().__init__(input_size, hidden_size, has_bias, dtype)

    def construct(self, x, hx):
        return self._cell(x, hx, None)[0]


class GRUCell(_CellBase):
    """nn.GRUCell(input_size, hidden_size, has_bias=True)(x [B, in], hx [B, H]) -> h'."""

    _mode = "GRU"

    def construct(self, x, hx):
        return self._cell(x, hx, None)[0]


class LSTMCell(_CellBase):
    """nn.LSTMCell(input_size, hidden_size, has_bias=True)(x [B, in], (h, c)) -> (h', c')."""

    _mode = "LSTM"

    def construct(self, x, hx):
        h, c = hx
        return self._cell(x, h, c)


__all__ = ["RNN", "GRU", "LSTM", "RNNCell", "GRUCell", "LSTMCell"]
