"""torch.autograd.grad inside a model's forward (a potential's forces -dE/dx, an eikonal or PINN residual, a
MAML step), imported as gradserve's own `grad` of the forward's ops.

torch.export cannot write the call faithfully: over a network's weights it fails ("fake tensor in the exported
program constant's list"), over the input alone it writes the backward as plain ops, right only with
create_graph=True. So while from_torch exports, the recording wrapper (torch_func_transforms) answers each call by
a marker op, gradserve_import::autograd_grad(outputs, inputs, grad_outputs, create_graph), which torch.export keeps
as one node. Here the node becomes a `grad` node of a function holding the exported ops from `inputs` to `outputs`
(the same ops the forward's value uses; what they read from outside, weights included, passed as the function's
other arguments), `grad_outputs` its sens: the engine's derivative of those ops, differentiable again for the
outer gradient (torch's create_graph=True); with create_graph=False torch's result is a constant to the outer
autograd, so the grads are stop_gradient'ed."""
from __future__ import annotations

import threading

from ._shared.graph_writer import UnsupportedModel

_lock = threading.Lock()
_lib: list = []  # the torch.library.Library holding the marker, kept alive once defined


def is_marker(target) -> bool:
    """Whether an exported node's target is the marker, without defining it: only a forward that called
    torch.autograd.grad while from_torch exported it (traced_grad) defines the op, so importing any other model
    leaves torch's op registry as it was."""
    return bool(_lib) and target is marker_op()


def marker_op():
    """torch.ops.gradserve_import.autograd_grad (defined on first use, once per process: its implementation only
    raises, since it exists to be traced; its fake implementation gives each input's shape)."""
    import torch

    with _lock:
        if not _lib:
            lib = torch.library.Library("gradserve_import", "DEF")
            lib.define("autograd_grad(Tensor[] outputs, Tensor[] inputs, Tensor[] grad_outputs, bool create_graph)"
                       " -> Tensor[]")

            def run(outputs, inputs, grad_outputs, create_graph):
                raise RuntimeError("gradserve_import::autograd_grad marks torch.autograd.grad for the importer; "
                                   "it is never run")

            def fake(outputs, inputs, grad_outputs, create_graph):
                return [torch.empty_like(i) for i in inputs]
            lib.impl("autograd_grad", run, "CompositeExplicitAutograd")
            torch.library.register_fake("gradserve_import::autograd_grad", fake, lib=lib)
            _lib.append(lib)
    return torch.ops.gradserve_import.autograd_grad.default


def _used(outs: list, ins: list) -> list[bool]:
    """Which of `ins` torch's autograd graph (recorded while torch.export traces) reaches from `outs`: what
    torch.autograd.grad answers None for under allow_unused=True (or refuses without it)."""
    seen, stack = set(), [o.grad_fn for o in outs if o.grad_fn is not None]
    while stack:
        fn = stack.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        stack.extend(f for f, _ in fn.next_functions)
    leaves = {id(getattr(fn, "variable", None)) for fn in seen}
    out_ids = {id(o) for o in outs}
    return [id(i) in out_ids or (i.grad_fn in seen if i.grad_fn is not None else id(i) in leaves) for i in ins]


def traced_grad(torch, outputs, inputs, grad_outputs=None, create_graph=False, allow_unused=None,
                is_grads_batched=False, materialize_grads=False):
    """torch.autograd.grad's call as the marker node (under torch.export); None where the call is not one the
    importer takes (batched grads), for the real call to run. An input the outputs do not reach gets torch's
    answer without a node: None under allow_unused (zeros under materialize_grads), torch's error otherwise."""
    if is_grads_batched:
        return None
    outs = [outputs] if isinstance(outputs, torch.Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, torch.Tensor) else list(inputs)
    for k, o in enumerate(outs):
        if not o.requires_grad:
            raise RuntimeError(f"element {k} of tensors does not require grad and does not have a grad_fn")  # torch's
    used = _used(outs, ins)
    if not all(used) and not (allow_unused or materialize_grads):
        raise RuntimeError("One of the differentiated Tensors appears to not have been used in the graph. "
                           "Set allow_unused=True if this is the desired behavior.")  # torch's own check
    if grad_outputs is None or isinstance(grad_outputs, torch.Tensor):
        grad_outputs = [grad_outputs] * len(outs) if grad_outputs is None or len(outs) == 1 else [grad_outputs]
    if any(g is None and o.numel() != 1 for o, g in zip(outs, grad_outputs)):
        raise RuntimeError("grad can be implicitly created only for scalar outputs")  # torch's own check
    gos = [torch.ones_like(o) if g is None else g for o, g in zip(outs, grad_outputs)]
    grads = iter(marker_op()(outs, [i for i, u in zip(ins, used) if u], gos, bool(create_graph)) if any(used) else ())
    return tuple(next(grads) if u else torch.zeros_like(i) if materialize_grads else None for i, u in zip(ins, used))


def _slice(node, outs, ins):
    """The exported nodes from `ins` to `outs` in graph order (those the grad differentiates), and the nodes outside
    it that they read."""
    import torch.fx

    order = {n: i for i, n in enumerate(node.graph.nodes)}
    ancestors, stack = set(), list(outs)
    while stack:
        n = stack.pop()
        if n in ancestors:
            continue
        ancestors.add(n)
        stack.extend(n.all_input_nodes)
    for i, x in enumerate(ins):
        if x not in ancestors:
            raise UnsupportedModel(
                f"torch.autograd.grad (node {node.name!r}): its outputs do not depend on input {i} ({x.name!r}); "
                "torch returns None there (allow_unused=True): differentiate only the inputs the outputs use",
                op="torch.autograd.grad", node=node.name)
    reached, stack = set(), list(ins)
    while stack:
        n = stack.pop()
        if n in reached or n not in ancestors:
            continue
        reached.add(n)
        stack.extend(u for u in n.users if order[u] < order[node])
    inside = sorted(reached - set(ins), key=order.__getitem__)
    read: list = []
    for n in inside:
        for a in n.all_input_nodes:
            if a not in reached and a not in read and isinstance(a, torch.fx.Node):
                read.append(a)
    return inside, read


def inner_grad(ctx, node, convert_node, make_ctx) -> tuple:
    """The marker node as a `grad` node (see the module doc); its graph values, one per differentiated input."""
    outs, ins, gouts, create_graph = node.args
    inside, read = _slice(node, outs, ins)
    sub = make_ctx(ctx.w.function_writer(f"{node.name}_fn"))
    args = []
    for n in list(ins) + read:
        val = ctx.env[n.name]
        if isinstance(val, str):
            sub.env[n.name] = sub.w.input(n.name, *ctx.w.avals[val])
            args.append(val)
        elif isinstance(val, (list, tuple)) and all(isinstance(v, str) for v in val):
            sub.env[n.name] = type(val)(sub.w.input(f"{n.name}_{k}", *ctx.w.avals[v]) for k, v in enumerate(val))
            args.extend(val)
        else:  # a size, a graph module, an effect token: the same inside
            sub.env[n.name] = val
    for n in inside:
        try:
            sub.env[n.name] = convert_node(sub, n)
        except KeyError as e:  # a nested call whose own slice reads what this one neither computes nor reads
            raise UnsupportedModel(
                f"torch.autograd.grad (node {node.name!r}) differentiates another autograd.grad call (node "
                f"{n.name!r}) whose ops read {e.args[0]!r} from outside both: not supported; differentiate the "
                "inner call's inputs in the outer one too, or build the terms with gradserve's nested ops.grad",
                op="torch.autograd.grad", node=node.name) from None
    fn_outs = [sub.env[o.name] for o in outs]
    name = ctx.w.finish(sub.w, fn_outs)
    sens = [ctx.v(g) for g in gouts]
    grads = ctx.w.emit("grad", args + sens, {"fn": name, "positions": list(range(len(ins))), "sens": True},
                       [ctx.w.avals[ctx.env[x.name]] for x in ins])
    return tuple(grads if create_graph else [ctx.w.unary("stop_gradient", g) for g in grads])
