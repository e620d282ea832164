"""Stop-gradients torch.export's program holds before its decomposition and loses in it: run_decompositions
functionalises and inlines, and what torch's autograd would treat as a constant came out differentiable (zoo
round 13: silently different gradients). Each is rewritten into aten.detach.default, which the decomposition
keeps (torch_import removes it from the table) and the importer maps to stop_gradient."""
from __future__ import annotations


def keep_stop_gradients(ep) -> None:
    """Rewrite the exported program's graphs in place (see the module doc)."""
    from torch import fx

    for gm in list(ep.graph_module.modules()):
        if isinstance(gm, fx.GraphModule):
            _detach_in_place(gm)
            _detach_no_grad_outputs(gm)


def _detached(graph, a):
    import torch

    d = graph.call_function(torch.ops.aten.detach.default, (a,))
    d.meta.update({k: a.meta[k] for k in ("val", "tensor_meta") if k in a.meta})
    return d


def _detach_in_place(gm) -> None:
    """tensor.detach_() in forward: exported as aten.detach_, which functionalisation drops (an in-place op that
    changes no value). It is the out-of-place detach, and the tensor's later uses read the detached one."""
    import torch

    order = {n: i for i, n in enumerate(gm.graph.nodes)}
    changed = False
    for node in list(gm.graph.nodes):
        if node.op != "call_function" or node.target is not torch.ops.aten.detach_.default:
            continue
        src = node.args[0]
        node.target = torch.ops.aten.detach.default
        for user in list(src.users):
            if user is not node and order[user] > order[node]:
                user.replace_input_with(src, node)
        changed = True
    if changed:
        gm.recompile()


def _detach_no_grad_outputs(gm) -> None:
    """`with torch.no_grad():` (or set_grad_enabled(False)) in forward: torch.export keeps the block as a
    wrap_with_set_grad_enabled(False, body, *args) call, whose outputs torch's autograd treats as constants (a
    deep equilibrium layer's fixed-point iterations, a target network's values). run_decompositions inlines the
    body and the stop-gradient is gone, so each value such a body computes is detached first (an input it hands
    back unchanged keeps its gradient, as in torch; an enable_grad() block inside is exported as its own region
    between two no-grad ones)."""
    import torch
    from torch import fx

    hop = getattr(torch.ops.higher_order, "wrap_with_set_grad_enabled", None)
    for node in list(gm.graph.nodes):
        if node.op != "call_function" or node.target is not hop or node.args[0] is not False:
            continue
        body = getattr(gm, node.args[1].target)
        out = next(n for n in body.graph.nodes if n.op == "output")
        with body.graph.inserting_before(out):
            kept = [_detached(body.graph, a) if isinstance(a, fx.Node) and a.op != "placeholder" else a
                    for a in out.args[0]]
        out.args = (type(out.args[0])(kept),)
        body.recompile()
