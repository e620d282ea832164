"""Compact Jacobians: `ops.jacrev`, `ops.jacfwd`, `ops.hessian` as one vmap over a basis.

jacrev(f)(x) is the pullback of f at x mapped over the rows of an identity (one `grad` node with
sens, inside one `vmap` node); jacfwd the pushforward mapped over the columns. The graph holds one
m x m identity per output (not one per basis vector), so its size no longer grows with n^3, and
the engine computes the primal once and the basis as batched matrix products (engine/vmap.py).
"""
from __future__ import annotations

import numpy as np

from ._tensor import Tensor
from .dtype import COMPLEX
from .errors import DifferentiationError
from . import _attr_writes, _param_state
from ._trace import _positions, emit_call_node, emit_grad_node, emit_jvp_node, innermost, trace_function, unflatten
from ._vmap import _Vmapped
from .ops._primitives import reshape  # the submodule, not the ops package (which imports this one)
from .ops._autodiff import _aux_of, _aux_wrapper, _checked_positions, _Derived, _label


def _size(shape) -> int:
    return int(np.prod(shape, dtype=np.int64)) if shape else 1


def _basis(n: int, shape, dtype: str) -> Tensor:
    """The n unit tensors of `shape`, stacked: (n, *shape)."""
    return Tensor(np.eye(n, dtype=dtype).reshape((n,) + tuple(shape)))


def _no_complex(kind: str, dtypes) -> None:
    """A complex Jacobian has no one meaning (jacrev would give conj(J), jacfwd J; torch.func refuses
    both, as the engine's jacobian job does): a clear error, not a convention to guess."""
    for what, dt in dtypes:
        if dt in COMPLEX:
            raise DifferentiationError(f"{kind}: {what} is {dt}; Jacobians of complex values are not "
                                       "supported, use jvp / vjp (docs/API.md, \"Complex numbers\")")


class _Jacobian(_Derived):
    def __init__(self, fn, grad_position, has_aux, mode):
        self.fn, self.grad_position, self.kind, self.has_aux = fn, grad_position, mode, bool(has_aux)

    def _key(self):
        gp = self.grad_position
        return (tuple(gp) if isinstance(gp, (list, tuple)) else gp, self.has_aux)

    def _emit(self, *args):
        if not self.has_aux:
            return self._jacobian(self.fn, args)
        out = _aux_wrapper(self.fn)(*args)  # aux outputs pass through as values (MindSpore's has_aux)
        return self._jacobian(lambda *a: self.fn(*a)[0], args), _aux_of(out)

    def _jacobian(self, fn, args):
        pos, single = _checked_positions(self.grad_position, len(args))
        at = _attr_writes.mark(innermost())
        info = trace_function(fn, args, _label(self.fn), state=True, attrs=True)
        stateful = self._stateful(info, args, pos)
        if stateful is not None:  # the Jacobian's own trace, from the values before the assignments
            _attr_writes.restore(innermost(), at)
            info = trace_function(fn, args, _label(self.fn))
        outs = info.flat_out_avals
        _no_complex(self.kind, [(f"input {p}", args[p]._dtype) for p in pos] + [("an output", d) for _, d in outs])
        blocks = [[None] * len(pos) for _ in outs]
        if self.kind == "jacrev":
            for k, (oshape, odt) in enumerate(outs):
                def pullback(ct, k=k):
                    sens = [ct if j == k else Tensor(np.zeros(s, dtype=d)) for j, (s, d) in enumerate(outs)]
                    return tuple(emit_grad_node(info, args, positions=pos, sens=sens))

                rows = _Vmapped(pullback, 0, 0)._emit(_basis(_size(oshape), oshape, odt))  # (m, *in) each
                for jj, p in enumerate(pos):
                    blocks[k][jj] = reshape(rows[jj], tuple(oshape) + tuple(args[p].shape))
        else:
            for jj, p in enumerate(pos):
                ishape, idt = tuple(args[p].shape), args[p]._dtype
                n = _size(ishape)

                def pushforward(t, p=p):
                    return tuple(emit_jvp_node(info, args, [t], positions=[p])[1])

                out_axes = tuple(len(s) for s, _ in outs)  # the basis axis last: (*out, n)
                cols = _Vmapped(pushforward, 0, out_axes)._emit(_basis(n, ishape, idt))
                for k, (oshape, _) in enumerate(outs):
                    blocks[k][jj] = reshape(cols[k], tuple(oshape) + ishape)
        per_out = [b[0] if single else tuple(b) for b in blocks]
        if stateful is not None:
            emit_call_node(stateful, args)  # its assignments, made once, land in the Parameters (attributes)
        return unflatten(info.out_tdef, per_out)

    def _stateful(self, info, args, pos):
        """info if fn assigns Parameters (values that do not depend on the differentiated inputs: others are
        an error, as in MindSpore 2.10) or leaves Tensors in Cell attributes (the forward's values: its call
        node, emitted last, sets them), else None."""
        if (not info.state_params and not info.attr_writes) or info.name is None:
            return None
        inputs = [i for group in _positions(info, pos, len(args)) for i in group]
        body = innermost().root.functions[info.name]
        _param_state.refuse_mapped(self.kind, _param_state.mapped_assignments(body, inputs, info.state_params,
                                                                              after=len(info.attr_writes)))
        return info


def jacrev(fn, grad_position=0, has_aux: bool = False):
    """Jacobian by reverse mode (the pullback over a basis of each output): blocks out.shape + in.shape."""
    return _Jacobian(fn, grad_position, has_aux, "jacrev")


def jacfwd(fn, grad_position=0, has_aux: bool = False):
    """Jacobian by forward mode (the pushforward over a basis of each input): blocks out.shape + in.shape."""
    return _Jacobian(fn, grad_position, has_aux, "jacfwd")


def hessian(fn, grad_position=0):
    """Hessian of a scalar-output fn: jacfwd(jacrev(fn)), blocks in.shape + in.shape."""
    return jacfwd(jacrev(fn, grad_position), grad_position)
