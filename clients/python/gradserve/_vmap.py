"""`ops.vmap(fn, in_axes=0, out_axes=0)` (also `gradserve.vmap`, MindSpore's `mindspore.vmap`).

Traces `fn` once at one example's shapes into a function of the graph and emits one `vmap`
node over it (the engine batches it op by op: engine/vmap.py), so `vmap(grad(f))(xs)` is
2000 per-example gradients in one request, and vmap nests inside grad / jvp and vice versa.
"""
from __future__ import annotations

from ._tensor import Tensor
from . import _param_state
from ._trace import _call_inputs, _take_state, current, flatten, innermost, trace_function, unflatten
from .errors import ShapeError
from ._vmap_out import _leaf_axes, _per_arg, batch_constants, leaf_axes
from .ops._autodiff import _Derived, _label


def _freeze(x):
    return tuple(_freeze(v) for v in x) if isinstance(x, (list, tuple)) else x


def _unbatched(x: Tensor, ax):
    if ax is None:
        return x
    if x.ndim == 0 or not -x.ndim <= ax < x.ndim:
        raise ShapeError(f"vmap: in_axes {ax} is out of range for an argument of shape {list(x.shape)}")
    ax %= x.ndim
    return Tensor._symbolic(None, "vmap_arg", x.shape[:ax] + x.shape[ax + 1:], x._dtype)


def _mixed(a) -> bool:
    leaves = flatten(a)[0] if isinstance(a, (tuple, list)) else []
    return any(isinstance(x, Tensor) for x in leaves) and not all(isinstance(x, Tensor) for x in leaves)


def _leaf_tensors(args) -> list:
    return [x for a in args for x in flatten(a)[0] if isinstance(x, Tensor)]


def _tensor_leaves_only(fn, args):
    """fn over the Tensor leaves of `args` alone, the numbers beside them put back as constants (a
    traced function takes Tensors, or tuples of only Tensors, as inputs)."""
    trees = [flatten(a) for a in args]

    def flat_fn(*tensors):
        it = iter(tensors)
        rebuilt = [unflatten(tdef, [next(it) if isinstance(x, Tensor) else x for x in leaves]) if tdef != "*"
                   else (next(it) if isinstance(leaves[0], Tensor) else leaves[0]) for leaves, tdef in trees]
        return fn(*rebuilt)

    return flat_fn


class _Vmapped(_Derived):
    kind = "vmap"
    user = 0  # 1 for vmap()'s (not the Jacobians' vmap over a basis, where one mask for all rows is right)

    def __init__(self, fn, in_axes, out_axes):
        self.fn, self.in_axes, self.out_axes = fn, in_axes, out_axes

    def _key(self):
        return (_freeze(self.in_axes), _freeze(self.out_axes))

    def _emit(self, *args):
        tr = innermost()
        flat_axes, inner, size = [], [], None
        for a, ax in zip(args, _per_arg(self.in_axes, args)):
            leaves, tdef = flatten(a)
            axes = iter(_leaf_axes(a, ax))
            new = []
            for leaf in leaves:
                if not isinstance(leaf, Tensor):
                    new.append(leaf)
                    continue
                lax = next(axes)
                flat_axes.append(None if lax is None else lax % leaf.ndim)
                if lax is not None:
                    n = leaf.shape[lax % leaf.ndim]
                    if size is not None and n != size:
                        raise ShapeError(f"vmap: mapped axes differ in size ({size} and {n})")
                    size = n
                new.append(_unbatched(leaf, lax))
            inner.append(unflatten(tdef, new) if tdef != "*" else new[0])
        if size is None:
            raise ShapeError("vmap: no argument is mapped (in_axes is None for all of them)")
        fn = self.fn
        if any(_mixed(a) for a in args):  # Tensors beside numbers in a tuple: the Tensors as arguments
            fn, inner, args = _tensor_leaves_only(fn, inner), _leaf_tensors(inner), _leaf_tensors(args)
        tr.user_vmaps += self.user  # (a user's vmap: ops._dropout refuses to draw one mask for every example)
        try:
            info = trace_function(fn, inner, _label(self.fn), state=True, inputs_written=True)
        finally:
            tr.user_vmaps -= self.user
        mapped = [i for i, ax in enumerate(flat_axes) if ax is not None]
        # an argument written in place (ops.assign / an optimizer primitive on a Parameter passed in, x.add_):
        # its final value comes out mapped along its own in_axis, each example's slice written back
        # (MindSpore's vmap of P.Adam()(self.var, ...)); an unmapped one takes one value, as a Parameter does
        written_axes = [flat_axes[info.arg_inputs[i]] for i in info.written_args]
        body = tr.root.functions[info.name] if info.name else None
        n_written = len(info.written_args)
        _param_state.refuse_mapped("vmap", _param_state.mapped_assignments(
            body, mapped, info.state_params, after=n_written) if body else [])
        if body and any(d and ax is None for d, ax in zip(
                _param_state.dependent_outputs(body, mapped, n_written), written_axes)):
            raise ValueError("vmap: an argument that is not mapped (in_axes None) is written in place with a "
                             "value that depends on a mapped input; one value per example cannot land in one "
                             "Tensor. Map it too, or write it outside the mapped function.")
        names = _call_inputs(tr, info, args)
        flat_axes += [None] * len(info.captures)
        outs = info.flat_out_avals
        out_axes, const_axes = leaf_axes(info.out_tdef, self.out_axes, len(outs), flatten)
        avals = []
        for (shape, dt), ax in zip(outs, out_axes):
            if ax is None:
                avals.append((shape, dt))
                continue
            if not -(len(shape) + 1) <= ax <= len(shape):
                raise ShapeError(f"vmap: out_axes {ax} is out of range for an output of rank {len(shape)}")
            ax %= len(shape) + 1
            avals.append((tuple(shape[:ax]) + (size,) + tuple(shape[ax:]), dt))
        out_axes = [None if ax is None else ax % (len(s) + 1) for (s, _), ax in zip(outs, out_axes)]
        # Parameters assigned an unmapped value: one value, after the node (as MindSpore's vmap)
        n_params = len(info.state_params)
        out_axes += [None] * n_params + written_axes
        state_avals = info.state_avals[:n_params] + [
            (shape, dt) if ax is None else (tuple(shape[:ax]) + (size,) + tuple(shape[ax:]), dt)
            for (shape, dt), ax in zip(info.state_avals[n_params:], written_axes)]
        res = tr.emit("vmap", names, {"fn": info.name, "in_axes": flat_axes, "out_axes": out_axes},
                      avals + state_avals)
        tdef, leaves = batch_constants(info.out_tdef, _take_state(info, res, len(avals), args), const_axes, size)
        return unflatten(tdef, leaves)


def vmap(fn, in_axes=0, out_axes=0):
    """fn mapped over an axis of its arguments: in_axes an int, None (not mapped) or one per argument
    (nested like the argument); out_axes an int or one per output. vmap(grad(f)) gives per-example
    gradients; composes with grad / jvp / vjp / jacobians in either order. A CellList: model ensembling
    (_vmap_ensemble)."""
    if isinstance(fn, list) and hasattr(fn, "construct"):  # nn.CellList
        from ._vmap_ensemble import ensemble
        return ensemble(fn, in_axes, out_axes)
    v = _Vmapped(fn, in_axes, out_axes)
    v.user = 1
    return v
