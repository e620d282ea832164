"""MindSpore's derivative interfaces over the graph's `grad` / `jvp` nodes.

Inside a trace they emit one derivative node over the traced function (so they nest:
GradSec(Grad(net)), a loss calling `ops.grad` in construct). Called outside any trace,
they trace a small program around themselves and run it on the service.
"""
from __future__ import annotations

import weakref

import numpy as np

from .._tensor import Parameter, Tensor
from .._trace import (_arg_names, current, emit_grad, emit_grad_node, emit_jvp, emit_jvp_node, flatten, getitem,
                      run_program, trace_function, unflatten)
from . import _primitives as P

_caches: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _cache_for(fn, kind) -> dict | None:
    try:
        per = _caches.setdefault(fn, {})
    except TypeError:
        return None
    return per.setdefault(kind, {})


def _label(fn) -> str:
    return getattr(fn, "__name__", None) or type(fn).__name__


def _weights_of(fn, weights):
    if weights is None:
        if hasattr(fn, "trainable_params"):
            return list(fn.trainable_params())
        raise TypeError("get_by_list=True needs weights (a ParameterTuple) when fn is not a Cell")
    if isinstance(weights, Parameter):
        return [weights]
    return list(weights)


class _Derived:
    """A derivative function: emits its node in the active trace, or runs a program around itself."""

    fn = None
    kind = "derived"

    def __call__(self, *args):
        if current() is None:
            cache = _cache_for(self.fn, (self.kind, self._key()))
            names = _arg_names(self.fn, len(args))
            return run_program(self._emit, args, cache=cache, label=f"{self.kind}_{_label(self.fn)}", names=names)
        return self._emit(*args)

    def _key(self):
        return ()


class GradOperation:
    """`GradOperation(get_all=False, get_by_list=False, sens_param=False)(net[, weights])(*inputs[, sens])`.

    get_all: gradients of all inputs (a tuple), else of the first input (one tensor); get_by_list:
    of the weights (a tuple); both: (inputs' grads, weights' grads). sens_param: the last
    argument scales the outputs (a tuple with one tensor per output for a multi-output net).
    """

    def __init__(self, get_all: bool = False, get_by_list: bool = False, sens_param: bool = False):
        self.get_all = bool(get_all)
        self.get_by_list = bool(get_by_list)
        self.sens_param = bool(sens_param)

    def __call__(self, fn, weights=None):
        return _GradOperationFn(self, fn, weights)


class _GradOperationFn(_Derived):
    kind = "grad"

    def __init__(self, op: GradOperation, fn, weights):
        self.op, self.fn, self.weights = op, fn, weights

    def _key(self):
        w = None if self.weights is None else tuple(id(p) for p in _weights_of(self.fn, self.weights))
        return ("GradOperation", self.op.get_all, self.op.get_by_list, self.op.sens_param, w)

    def _emit(self, *args):
        op = self.op
        sens = None
        if op.sens_param:
            if not args:
                raise TypeError("sens_param=True: the last argument must be the sens")
            args, sens = args[:-1], flatten(args[-1])[0]
        if op.get_all:
            positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        elif op.get_by_list:
            positions = []
        else:
            positions = [0]
        weights = _weights_of(self.fn, self.weights) if op.get_by_list else []
        outs, _ = emit_grad(self.fn, args, positions=positions, weights=weights, sens=sens, label=_label(self.fn))
        pg, wg = tuple(outs[:len(positions)]), tuple(outs[len(positions):])
        if op.get_all and op.get_by_list:
            return pg, wg
        if op.get_all:
            return pg
        if op.get_by_list:
            return wg
        return pg[0]


class _FunctionalGrad(_Derived):
    kind = "grad"

    def __init__(self, fn, grad_position, weights, sens_param, with_value, has_aux):
        if has_aux:
            raise NotImplementedError("has_aux=True is not supported yet")
        self.fn, self.grad_position, self.weights = fn, grad_position, weights
        self.sens_param, self.with_value = bool(sens_param), bool(with_value)
        if grad_position is None and weights is None:
            raise ValueError("grad_position and weights cannot both be None")

    def _key(self):
        w = None if self.weights is None else tuple(id(p) for p in _weights_of(self.fn, self.weights))
        gp = self.grad_position if not isinstance(self.grad_position, list) else tuple(self.grad_position)
        return ("grad", gp, w, self.sens_param, self.with_value)

    def _emit(self, *args):
        sens = None
        if self.sens_param:
            args, sens = args[:-1], flatten(args[-1])[0]
        gp = self.grad_position
        single = isinstance(gp, (int, np.integer)) and not isinstance(gp, bool)
        pos = [] if gp is None else ([int(gp)] if single else list(gp))
        single_w = isinstance(self.weights, Parameter)
        ws = [] if self.weights is None else _weights_of(self.fn, self.weights)
        outs, info = emit_grad(self.fn, args, positions=pos, weights=ws, sens=sens, with_value=self.with_value,
                               label=_label(self.fn))
        value = None
        if self.with_value:
            n = len(info.flat_out_avals)
            value, outs = unflatten(info.out_tdef, outs[:n]), outs[n:]
        pg, wg = outs[:len(pos)], outs[len(pos):]
        pgs = pg[0] if single else tuple(pg)
        wgs = wg[0] if single_w else tuple(wg)
        grads = (pgs, wgs) if (pos and ws) else (wgs if ws else pgs)
        return (value, grads) if self.with_value else grads


def grad(fn, grad_position=0, weights=None, has_aux: bool = False, return_ids: bool = False,
         sens_param: bool = False):
    """Functional `grad`: an int position gives one tensor, a tuple a tuple; with weights,
    (position grads, weight grads); grad_position=None with weights gives the weight grads only."""
    if return_ids:
        raise NotImplementedError("return_ids=True is not supported")
    return _FunctionalGrad(fn, grad_position, weights, sens_param, False, has_aux)


def value_and_grad(fn, grad_position=0, weights=None, has_aux: bool = False, sens_param: bool = False):
    """Like `grad`, returning (value, grads)."""
    return _FunctionalGrad(fn, grad_position, weights, sens_param, True, has_aux)


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _jvp_program(fn, n):
    def program(*a):
        vals, tans, info = emit_jvp(fn, a[:n], a[n:], label=_label(fn))
        return unflatten(info.out_tdef, vals), unflatten(info.out_tdef, tans)

    return program


def jvp(fn, inputs, v, has_aux: bool = False):
    """`jvp(fn, inputs, v) -> (fn(*inputs), J v)`; forward mode."""
    if has_aux:
        raise NotImplementedError("has_aux=True is not supported yet")
    xs, vs = _as_tuple(inputs), _as_tuple(v)
    program = _jvp_program(fn, len(xs))
    if current() is not None:
        return program(*xs, *vs)
    return run_program(program, [*xs, *vs], cache=_cache_for(fn, ("jvp", len(xs))), label=f"jvp_{_label(fn)}")


def _vjp_program(fn, n, tuple_inputs):
    def program(*a):
        xs, vs = a[:n], a[n:]
        outs, info = emit_grad(fn, xs, positions=list(range(n)), sens=list(vs), with_value=True, label=_label(fn))
        k = len(info.flat_out_avals)
        value, grads = unflatten(info.out_tdef, outs[:k]), tuple(outs[k:])
        return value, (grads if tuple_inputs else grads[0])

    return program


def vjp(fn, inputs, v):
    """The seed's `vjp(fn, inputs, v) -> (fn(*inputs), v^T J)`; grads a tuple over the inputs
    (one tensor when `inputs` is a single Tensor)."""
    xs = _as_tuple(inputs)
    vs = flatten(v)[0]
    program = _vjp_program(fn, len(xs), isinstance(inputs, (tuple, list)))
    if current() is not None:
        return program(*xs, *vs)
    return run_program(program, [*xs, *vs], cache=_cache_for(fn, ("vjp", len(xs), isinstance(inputs, (tuple, list)))),
                       label=f"vjp_{_label(fn)}")


# -- Jacobians ----------------------------------------------------------------------------------------
def _size(shape) -> int:
    return int(np.prod(shape, dtype=np.int64)) if shape else 1


def _onehot(n: int, e: int, shape, dtype: str) -> Tensor:
    return P.reshape(getitem(Tensor(np.eye(n, dtype=dtype)), e), tuple(shape))


def _jac_structure(info, blocks, single_pos):
    per_out = [b[0] if single_pos else tuple(b) for b in blocks]
    return unflatten(info.out_tdef, per_out)


class _Jacobian(_Derived):
    def __init__(self, fn, grad_position, has_aux, mode):
        if has_aux:
            raise NotImplementedError("has_aux=True is not supported yet")
        self.fn, self.grad_position, self.kind = fn, grad_position, mode

    def _key(self):
        gp = self.grad_position
        return (tuple(gp) if isinstance(gp, (list, tuple)) else gp,)

    def _emit(self, *args):
        single = isinstance(self.grad_position, int)
        pos = [self.grad_position] if single else list(self.grad_position)
        pos = [p % len(args) for p in pos]
        info = trace_function(self.fn, args, _label(self.fn))
        outs = info.flat_out_avals
        blocks = [[None] * len(pos) for _ in outs]
        if self.kind == "jacrev":
            for k, (oshape, odt) in enumerate(outs):
                m = _size(oshape)
                rows = []
                for e in range(m):
                    sens = [(_onehot(m, e, oshape, odt) if j == k else Tensor(np.zeros(s, dtype=d)))
                            for j, (s, d) in enumerate(outs)]
                    rows.append(emit_grad_node(info, args, positions=pos, sens=sens))
                for jj, p in enumerate(pos):
                    ishape = tuple(args[p].shape)
                    st = P.stack([r[jj] for r in rows], 0) if rows else None
                    blocks[k][jj] = P.reshape(st, tuple(oshape) + ishape)
        else:
            for jj, p in enumerate(pos):
                ishape, idt = tuple(args[p].shape), args[p]._dtype
                n = _size(ishape)
                cols = [emit_jvp_node(info, args, [_onehot(n, e, ishape, idt)], positions=[p])[1] for e in range(n)]
                for k, (oshape, _) in enumerate(outs):
                    st = P.stack([c[k] for c in cols], 0)  # (n, *oshape)
                    t = P.transpose(P.reshape(st, (n, _size(oshape))), (1, 0))
                    blocks[k][jj] = P.reshape(t, tuple(oshape) + ishape)
        return _jac_structure(info, blocks, single)


def jacrev(fn, grad_position=0, has_aux: bool = False):
    """Jacobian by reverse mode (one vjp per output element): blocks of shape out.shape + in.shape."""
    return _Jacobian(fn, grad_position, has_aux, "jacrev")


def jacfwd(fn, grad_position=0, has_aux: bool = False):
    """Jacobian by forward mode (one jvp per input element): blocks of shape out.shape + in.shape."""
    return _Jacobian(fn, grad_position, has_aux, "jacfwd")


def hessian(fn, grad_position=0):
    """Hessian of a scalar-output fn: jacfwd(jacrev(fn)), blocks of shape in.shape + in.shape."""
    return jacfwd(jacrev(fn, grad_position), grad_position)
