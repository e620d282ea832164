"""`nn.Cell` and a few cells: `Jvp`, `Vjp`, `Dense`, `SequentialCell`, activations.

Calling a cell with no trace active traces `construct` into a graph (once per input
signature in GRAPH_MODE) and evaluates it on the service; inside a trace (a cell used by
another cell, or differentiated) `construct` is inlined.
"""
from __future__ import annotations

import inspect
import math

import numpy as np

from . import ops as _ops
from ._tensor import Parameter, ParameterTuple, Tensor
from ._trace import current, emit_grad, emit_jvp, flatten, run_program, unflatten


class Cell:
    """Base class of networks: define `construct(self, *inputs)`; `__init__` need not be called."""

    def __init__(self, auto_prefix: bool = True, flags=None):
        object.__setattr__(self, "_gs_programs", {})

    def __setattr__(self, name, value):
        if isinstance(value, Parameter) and value._auto_name:
            value.name = name
            value._auto_name = False
            value._auto_named = True
        elif isinstance(value, Cell) and not name.startswith("_"):
            for p in value._own_and_child_params():
                if getattr(p, "_auto_named", False) and not getattr(p, "_prefixed", False):
                    p.name = f"{name}.{p.name}"
                    p._prefixed = True
        object.__setattr__(self, name, value)

    def construct(self, *inputs):
        raise NotImplementedError(f"{type(self).__name__}.construct is not defined")

    def __call__(self, *args, **kwargs):
        if kwargs:
            args = inspect.signature(self.construct).bind(*args, **kwargs).args
        if current() is not None:
            return self.construct(*args)
        programs = self.__dict__.get("_gs_programs")
        if programs is None:
            programs = {}
            object.__setattr__(self, "_gs_programs", programs)
        return run_program(self.construct, args, cache=programs, label=type(self).__name__)

    # -- parameters ------------------------------------------------------------------------------
    def _own_and_child_params(self, seen=None):
        seen = set() if seen is None else seen
        if id(self) in seen:
            return []
        seen.add(id(self))
        out = []

        def visit(v):
            if isinstance(v, Parameter):
                out.append(v)
            elif isinstance(v, Cell):
                out.extend(v._own_and_child_params(seen))
            elif isinstance(v, (list, tuple)) and not isinstance(v, Tensor):
                for x in v:
                    visit(x)
            elif isinstance(v, dict):
                for x in v.values():
                    visit(x)

        for k, v in vars(self).items():
            if not k.startswith("_gs_"):
                visit(v)
        uniq, ids = [], set()
        for p in out:
            if id(p) not in ids:
                ids.add(id(p))
                uniq.append(p)
        return uniq

    def get_parameters(self, expand: bool = True):
        return iter(self._own_and_child_params())

    def trainable_params(self, recurse: bool = True) -> list[Parameter]:
        return [p for p in self._own_and_child_params() if p.requires_grad]

    def untrainable_params(self, recurse: bool = True) -> list[Parameter]:
        return [p for p in self._own_and_child_params() if not p.requires_grad]

    def parameters_and_names(self):
        return [(p.name, p) for p in self._own_and_child_params()]

    def cells(self):
        return [v for v in vars(self).values() if isinstance(v, Cell)]

    def set_train(self, mode: bool = True) -> "Cell":
        return self

    def set_grad(self, requires_grad: bool = True) -> "Cell":
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}<>"


class CellList(Cell, list):
    def __init__(self, cells=()):
        Cell.__init__(self)
        list.__init__(self, cells)

    def construct(self, *inputs):
        raise TypeError("CellList is not callable")


class SequentialCell(Cell):
    def __init__(self, *cells):
        super().__init__()
        if len(cells) == 1 and isinstance(cells[0], (list, tuple)):
            cells = tuple(cells[0])
        for i, c in enumerate(cells):
            setattr(self, str(i), c)
        self._gs_order = [str(i) for i in range(len(cells))]

    def construct(self, x):
        for k in self._gs_order:
            x = getattr(self, k)(x)
        return x


# -- activations ----------------------------------------------------------------------------------
def _activation(name, fn):
    cls = type(name, (Cell,), {"construct": lambda self, x: fn(x), "__module__": __name__})
    return cls


Tanh = _activation("Tanh", lambda x: _ops.tanh(x))
Sigmoid = _activation("Sigmoid", lambda x: _ops.sigmoid(x))
ReLU = _activation("ReLU", lambda x: _ops.relu(x))
Softplus = _activation("Softplus", lambda x: _ops.softplus(x))
_ACTIVATIONS = {"tanh": Tanh, "sigmoid": Sigmoid, "relu": ReLU, "softplus": Softplus}


class Dense(Cell):
    """y = activation(x @ W^T + b), W of shape [out, in] (MindSpore's layout).

    `weight_init` / `bias_init`: arrays, Tensors, or None for a seeded uniform(-1/sqrt(in), 1/sqrt(in)).
    """

    def __init__(self, in_channels: int, out_channels: int, weight_init=None, bias_init=None, has_bias: bool = True,
                 activation=None, dtype=None, seed: int = 0):
        super().__init__()
        dt = np.dtype((dtype.name if hasattr(dtype, "name") else dtype) or "float32")
        rng = np.random.default_rng(seed)
        bound = 1.0 / math.sqrt(in_channels)
        w = rng.uniform(-bound, bound, (out_channels, in_channels)) if weight_init is None else weight_init
        self.weight = Parameter(Tensor(np.asarray(w.asnumpy() if isinstance(w, Tensor) else w, dtype=dt)))
        self.has_bias = has_bias
        if has_bias:
            b = rng.uniform(-bound, bound, (out_channels,)) if bias_init is None else bias_init
            self.bias = Parameter(Tensor(np.asarray(b.asnumpy() if isinstance(b, Tensor) else b, dtype=dt)))
        if isinstance(activation, str):
            activation = _ACTIVATIONS[activation.lower()]()
        self.activation = activation

    def construct(self, x):
        y = _ops.matmul(x, self.weight, transpose_b=True)
        if self.has_bias:
            y = y + self.bias
        if self.activation is not None:
            y = self.activation(y)
        return y


# -- derivative cells -----------------------------------------------------------------------------
class Jvp(Cell):
    """`nn.Jvp(net)(*inputs, v)` -> (net(*inputs), J v); v is a tuple with one tangent per input
    (or one Tensor for a single input)."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def construct(self, *args):
        inputs, v = args[:-1], args[-1]
        vs = tuple(v) if isinstance(v, (tuple, list)) else (v,)
        vals, tans, info = emit_jvp(self.fn, inputs, vs, label=type(self.fn).__name__)
        return unflatten(info.out_tdef, vals), unflatten(info.out_tdef, tans)


class Vjp(Cell):
    """`nn.Vjp(net)(*inputs, v)` -> (net(*inputs), (v^T J for each input))."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def construct(self, *args):
        inputs, v = args[:-1], args[-1]
        outs, info = emit_grad(self.fn, inputs, positions=list(range(len(inputs))), sens=flatten(v)[0],
                               with_value=True, label=type(self.fn).__name__)
        k = len(info.flat_out_avals)
        return unflatten(info.out_tdef, outs[:k]), tuple(outs[k:])


__all__ = ["Cell", "CellList", "SequentialCell", "Dense", "Tanh", "Sigmoid", "ReLU", "Softplus", "Jvp", "Vjp"]

# loops: optimizers, losses and training cells (their own module)
from ._training import (SGD, Adam, CrossEntropyLoss, L1Loss, LossBase, Momentum, MSELoss, Optimizer,  # noqa: E402
                        TrainOneStepCell, WithLossCell)

__all__ += ["Optimizer", "SGD", "Momentum", "Adam", "LossBase", "MSELoss", "L1Loss", "CrossEntropyLoss",
            "WithLossCell", "TrainOneStepCell"]
