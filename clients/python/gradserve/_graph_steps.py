"""An optimizer called in a traced function: a `@jit` train step or a Cell's construct
(`loss, grads = grad_fn(x, y); self.optimizer(grads); return loss`).

Optimizers update Parameters in the client (_training), so no step is taken while tracing: the gradients come
out of the run as a print's Tensors do (_graph_print.add_site), and the step is taken after the run, on that
run's gradients, where the run passed the call. The run's outputs are computed from the weights before the step,
as MindSpore's (its update is ordered after the loss; MindSpore 2.10 in its venv: a @jit step of nn.SGD returns
25.0, 23.37, 22.57 on benchmarks/loops_zoo.py's jit example, the loss before each update). Before this the step
read the gradients' values while tracing (_value_reads): a trace per call, none cached, and the program's loss
read the Parameters after the step (one step late: 23.37, 22.57, ...).

A function traced for a derivative, a loop body or a vmap has no run of its own to follow: a call there is
left to the optimizer as before. A read of a stepped Parameter later in the same trace is refused
(`check_read`): its value after the step is not known while tracing."""
from __future__ import annotations

from ._graph_print import add_site
from ._misc import current_trace
from ._tensor import Tensor


class _Step:
    """One optimizer call of a trace, taken after the run on the gradients' values there."""

    def __init__(self, opt):
        self.opt = opt

    def run(self, values: list) -> None:
        self.opt(tuple(values))


def deferred(opt, gradients) -> bool:
    """Whether opt's step on `gradients` was made one of the current trace's after-run sites (False outside a
    trace, or where no run follows: see the module's doc)."""
    tr = current_trace[0]()
    if tr is None:
        return False
    top = tr
    while top.if_side:
        top = top.parent
    if top.parent is not None or not hasattr(top, "attr_writes"):
        return False
    grads = list(gradients) if isinstance(gradients, (tuple, list)) else [gradients]
    if not all(isinstance(g, Tensor) for g in grads):
        return False
    add_site(tr, _Step(opt), grads)
    stepped = top.__dict__.setdefault("_gs_stepped", {})
    stepped.update((id(p), opt) for p in opt._gs_params)
    return True


def check_read(tr, p) -> None:
    """Refuse a read of Parameter p in trace tr after an optimizer's step on it in tr's program."""
    stepped = tr.root.__dict__.get("_gs_stepped")
    if stepped and id(p) in stepped:
        raise TypeError(f"Parameter {p.name!r} is read after {type(stepped[id(p)]).__name__}'s step in the same "
                        "traced function: the optimizer runs in the client after the graph (gradserve._graph_steps), "
                        "so its new value is not known here; read it after the call returns")
