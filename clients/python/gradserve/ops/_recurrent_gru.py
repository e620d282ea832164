"""GRUV2(input_size, hidden_size, num_layers, has_bias, bidirectional, dropout, is_train=True)(x, h, w, seq_lengths):
MindSpore's flat-weight GRU primitive (mindspore.ops.operations._rl_inner_ops.GRUV2) in its CPU form, which runs
oneDNN's vanilla GRU. Checked against MindSpore 2.10 (CPU) for this task, to 2e-7:
- gates stacked (z, r, n) (oneDNN's u, r, o), and the reset gate applied to h *before* its matmul:
  n = tanh(W_n x + b_n + U_n (r * h)), h' = z * h + (1 - z) * n (not nn.GRU's r * (U_n h + b_hn));
- w flat [N, 1, 1]: every (layer, direction)'s W_ih [3H, in] (layer 0: in = input_size, later layers
  in = D * hidden_size), then every U_hh [3H, H], then (has_bias) every bias [3H], one vector per gate.
  MindSpore's kernel reads only that much of w (its doc example passes 84 values for 78), so a longer w is
  accepted and its tail unused; a shorter one is refused (MindSpore reads past its end);
- seq_lengths is checked (int32, [batch]) and not used: the CPU kernel does not pass it to oneDNN, every
  sequence runs all seq_len steps;
- num_layers > 1: MindSpore's kernel declares every layer's input input_size wide, so oneDNN refuses it
  unless input_size == hidden_size (refused here too). Bidirectional with more layers then gives NaN in
  MindSpore 2.10 (layer 1 reads a 2H-wide input through H-wide weights); here each layer reads the previous
  layer's two directions concatenated through the weights the layout above places (as nn.GRU stacks).
Outputs (output [T, B, D * H], h_n [L * D, B, H], reserve, state): reserve and state are MindSpore's kernel
workspaces, zeros [1, 1] here; dropout (between layers, training) is MindSpore's too and is not applied on CPU."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._extra import P
from ._ms_more import _Fn
from ._recurrent import _int, linear

__all__ = ["GRUV2"]


def _step(gx, h, u_hh, hidden: int):
    """One oneDNN vanilla GRU step from gx = x W_ih^T + b: h'."""
    gz, gr, gn = (gx[:, k * hidden:(k + 1) * hidden] for k in range(3))
    u_z, u_r, u_n = (u_hh[k * hidden:(k + 1) * hidden] for k in range(3))
    z = P.sigmoid(gz + linear(h, u_z, None))
    r = P.sigmoid(gr + linear(h, u_r, None))
    n = P.tanh(gn + linear(r * h, u_n, None))
    return z * h + (1.0 - z) * n


def _check_flag(name: str, v, kinds, what: str):
    if isinstance(v, bool) and bool not in kinds or not isinstance(v, kinds):
        raise TypeError(f"For 'GRUV2', the '{name}' must be {what}, but got {type(v).__name__}.")
    return v


class GRUV2(_Fn):
    """GRUV2(input_size, hidden_size, num_layers, has_bias, bidirectional, dropout, is_train=True)
    (x, h, w, seq_lengths) -> (output, h_n, reserve, state): see the module's docstring for w's layout."""

    def __init__(self, input_size, hidden_size, num_layers, has_bias, bidirectional, dropout, is_train=True):
        super().__init__()
        self.input_size = _int("GRUV2", "input_size", input_size, 1)
        self.hidden_size = _int("GRUV2", "hidden_size", hidden_size, 1)
        self.num_layers = _int("GRUV2", "num_layers", num_layers, 1)
        for name, v in (("has_bias", has_bias), ("bidirectional", bidirectional), ("is_train", is_train)):
            _check_flag(name, v, (bool,), "bool")
        _check_flag("dropout", dropout, (float,), "float")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"For 'GRUV2', the 'dropout' must be in range [0, 1], but got {dropout}.")
        self.has_bias, self.bidirectional, self.dropout, self.is_train = has_bias, bidirectional, dropout, is_train
        self.num_directions = 2 if bidirectional else 1

    def _layer_inputs(self):
        return [self.input_size if k == 0 else self.hidden_size * self.num_directions
                for k in range(self.num_layers)]

    def _unpack(self, w):
        """w's pieces per layer, per direction: (W_ih, U_hh, bias or None)."""
        d, g = self.num_directions, 3 * self.hidden_size
        sizes = [("ih", (g, n_in)) for n_in in self._layer_inputs()] + [("hh", (g, self.hidden_size))] * \
            self.num_layers + ([("b", (g,))] * self.num_layers if self.has_bias else [])
        need = d * sum(int(np.prod(s)) for _, s in sizes)
        if w.ndim != 3 or int(np.prod(w.shape)) < need:
            raise ValueError(f"For 'GRUV2', the weight w must be 3-D with at least {need} values ([{need}, 1, 1]) "
                             f"for this configuration, but got shape {list(w.shape)}.")
        flat, at, parts = P.reshape(w, (-1,)), 0, {"ih": [], "hh": [], "b": []}
        for kind, shape in sizes:
            n = int(np.prod(shape))
            parts[kind].append([P.reshape(flat[at + k * n:at + (k + 1) * n], shape) for k in range(d)])
            at += d * n
        bias = parts["b"] or [[None] * d] * self.num_layers
        return [list(zip(parts["ih"][k], parts["hh"][k], bias[k])) for k in range(self.num_layers)]

    def _check_inputs(self, x, h, w, seq_lengths):
        for name, t in (("x", x), ("h", h), ("w", w), ("seq_lengths", seq_lengths)):
            if not isinstance(t, Tensor):
                raise TypeError(f"For 'GRUV2', the '{name}' must be a Tensor, but got {type(t).__name__}.")
        if x.ndim != 3 or x.shape[2] != self.input_size:
            raise ValueError(f"For 'GRUV2', x must be [seq_len, batch, {self.input_size}], but got {list(x.shape)}.")
        want_h = [self.num_layers * self.num_directions, x.shape[1], self.hidden_size]
        if list(h.shape) != want_h:
            raise ValueError(f"For 'GRUV2', h must be {want_h} (num_layers * num_directions, batch, hidden_size), "
                             f"but got {list(h.shape)}.")
        if list(seq_lengths.shape) != [x.shape[1]]:
            raise ValueError(f"For 'GRUV2', seq_lengths must be [batch {x.shape[1]}], but got "
                             f"{list(seq_lengths.shape)}.")
        if str(seq_lengths.dtype) != "Int32":
            raise TypeError(f"For 'GRUV2', seq_lengths must be int32, but got {seq_lengths.dtype}.")
        if not (x.dtype == h.dtype == w.dtype) or str(x.dtype) not in ("Float32", "Float16"):
            raise TypeError(f"For 'GRUV2', x, h and w must all be float32 or all float16, but got {x.dtype}, "
                            f"{h.dtype} and {w.dtype}.")
        if self.num_layers > 1 and self.input_size != self.hidden_size:
            raise ValueError(f"For 'GRUV2', num_layers {self.num_layers} needs input_size == hidden_size on CPU "
                             f"(MindSpore 2.10's oneDNN kernel cannot build it for input_size {self.input_size}, "
                             f"hidden_size {self.hidden_size})")

    def __call__(self, x, h, w, seq_lengths):
        self._check_inputs(x, h, w, seq_lengths)
        hs, d = [], self.num_directions
        for layer, weights in enumerate(self._unpack(w)):
            outs = []
            for k, (w_ih, u_hh, b) in enumerate(weights):
                out, h_n = self._direction(x, h[layer * d + k], w_ih, u_hh, b, reverse=bool(k))
                outs.append(out)
                hs.append(h_n)
            x = outs[0] if d == 1 else P.concat(outs, -1)
        zeros = Tensor(np.zeros((1, 1), x._dtype))
        return x, P.stack(hs, 0), zeros, zeros

    def _direction(self, x, h, w_ih, u_hh, b, reverse: bool):
        steps, batch = x.shape[0], x.shape[1]
        gx = P.reshape(linear(P.reshape(x, (steps * batch, x.shape[2])), w_ih, b), (steps, batch, -1))
        outs = [None] * steps
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            h = _step(gx[t], h, u_hh, self.hidden_size)
            outs[t] = h
        return P.stack(outs, 0), h
