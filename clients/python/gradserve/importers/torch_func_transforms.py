"""torch.func.grad / jacrev / jacfwd / vjp / hessian called inside a model's forward (a force field's
force = -grad(energy)): refused by name, since torch.export cannot give a faithful graph of them.

torch.export traces the transform's differentiated tensors as constants of the example call: with the
parameters closed over it fails inside torch ("meta conversion to view functorch tensor"); with them passed
explicitly it succeeds, but the graph reads `lifted_tensor_*` constants (the example input's and weights'
values, functorch TensorWrappers) where the input and the weights were, around `_unwrap_for_grad` nodes.
Importing that graph would answer for the example input whatever input is sent: a silently wrong force.
torch.func.vmap is not refused: export writes it as batched Core ATen ops (the zoo checks its gradients).

torch.autograd.grad in forward (a PINN's residual u_t + u u_x - nu u_xx, a potential's forces): with the
weights inside the differentiated function torch.export fails ("fake tensor in the exported program constant's
list"); over the input alone it writes the backward as plain ops, faithful with create_graph=True but not with
create_graph=False (torch's gradient is then a constant to the outer autograd: zoo round 10, an input gradient
1.7 where torch's is 0). Since round 14 the recording answers each call by a marker op that the importer makes
gradserve's own grad of the exported ops (torch_inner_grad.py); a batched call (is_grads_batched) runs torch's
and keeps the refusals below.

A backward rule of the model's own (a torch.autograd.Function in forward: a gradient reversal layer, a clipped
or straight-through gradient; Tensor.register_hook in forward; a module's backward hook): torch.export keeps the
forward's ops and drops the rule, so the imported gradients would silently be the forward's derivative (zoo
round 13); refused by name, the first two recorded the same way, hooks on modules seen on the module.
"""
from __future__ import annotations

import contextlib
import functools
import threading

from ._shared.graph_writer import UnsupportedModel
from .torch_inner_grad import traced_grad

_WORKAROUND = ("import the function being differentiated (the energy) with from_torch and take its gradient "
               "with gradserve (ops.grad; nested ops.grad differentiates the force again for training)")
_TRANSFORMS = "torch.func.grad / grad_and_value / jacrev / jacfwd / vjp / hessian"


_AUTOGRAD_WORKAROUND = ("import the network being differentiated (u(x, t), the energy) with from_torch and "
                        "build the derivative terms with gradserve's ops.grad (nested for second derivatives)")


_recording = threading.local()  # this thread's Recorded while it exports
_swap_lock = threading.Lock()
_swap: dict = {"users": 0, "grad": None, "apply": None, "hook": None}


class Recorded:
    """What one export's forward called: each torch.autograd.grad call's create_graph flag, and each backward
    rule of its own (a torch.autograd.Function subclass defined outside torch, a tensor's gradient hook), named."""

    def __init__(self) -> None:
        self.grad_flags: list = []
        self.backward_rules: list = []
        self.data_reads = 0  # tensor.data in forward: torch.export fails on it with a message that names nothing

    def rule(self, what: str) -> None:
        if what not in self.backward_rules:
            self.backward_rules.append(what)


def _grad_arguments(args: tuple, kwargs: dict) -> tuple:
    """torch.autograd.grad's (outputs, inputs, grad_outputs, create_graph, allow_unused, is_grads_batched,
    materialize_grads)."""
    names = ("outputs", "inputs", "grad_outputs", "retain_graph", "create_graph", "only_inputs", "allow_unused",
             "is_grads_batched", "materialize_grads")
    bound = dict(zip(names, args), **kwargs)
    return (bound["outputs"], bound["inputs"], bound.get("grad_outputs"), bool(bound.get("create_graph")),
            bound.get("allow_unused"), bool(bound.get("is_grads_batched")), bool(bound.get("materialize_grads")))


def _install(torch) -> None:
    """Replace torch.autograd.grad, Function.apply and Tensor.register_hook by recording wrappers (under
    _swap_lock)."""
    _swap["grad"] = real_grad = torch.autograd.grad
    _swap["apply"] = real_apply = torch.autograd.Function.__dict__["apply"]
    _swap["hook"] = real_hook = torch.Tensor.register_hook

    @functools.wraps(real_grad)
    def grad(*args, **kwargs):
        rec = getattr(_recording, "rec", None)
        if rec is not None:  # (a grad bound before the export re-dispatches here under export's modes: round 11)
            marked = traced_grad(torch, *_grad_arguments(args, kwargs))
            if marked is not None:  # imported as gradserve's grad of the exported ops (torch_inner_grad)
                return marked
            rec.grad_flags.append(bool(kwargs.get("create_graph", args[4] if len(args) > 4 else False)))
        return real_grad(*args, **kwargs)

    from torch.utils.checkpoint import CheckpointFunction

    def apply(cls, *args, **kwargs):
        rec = getattr(_recording, "rec", None)
        if rec is not None and cls is CheckpointFunction:  # checkpoint(use_reentrant=True): its forward runs the
            # function under no_grad (a stop-gradient to the import), its backward recomputes it with grad: the
            # function itself, which its (run_function, preserve_rng_state, *args) call runs here
            return args[0](*args[2:])
        if rec is not None and not cls.__module__.startswith("torch."):  # torch's own (a module backward hook's)
            # are seen where they are registered
            rec.rule(f"the torch.autograd.Function {cls.__module__}.{cls.__qualname__}")
        return real_apply.__func__(cls, *args, **kwargs)

    @functools.wraps(real_hook)
    def register_hook(self, hook):
        rec = getattr(_recording, "rec", None)
        if rec is not None:
            rec.rule(f"a gradient hook (Tensor.register_hook({getattr(hook, '__qualname__', hook)!s}))")
        return real_hook(self, hook)
    real_data = torch._C.TensorBase.__dict__["data"]  # torch.Tensor inherits it

    def read_data(self):
        rec = getattr(_recording, "rec", None)
        if rec is not None:
            rec.data_reads += 1
        return real_data.__get__(self, type(self))
    torch.autograd.grad = grad
    torch.autograd.Function.apply = classmethod(apply)
    torch.Tensor.register_hook = register_hook
    torch.Tensor.data = property(read_data, real_data.__set__)  # type: ignore[assignment,method-assign]


@contextlib.contextmanager
def recording_autograd_grad():
    """Yields a Recorded that gets what this thread's forward calls while the block runs (torch.export's
    non-strict trace runs forward as Python, in the caller's thread). The recording wrappers replace
    torch.autograd.grad and torch.autograd.Function.apply while any thread is inside such a block, then the
    originals are back."""
    import torch

    with _swap_lock:
        if _swap["users"] == 0:
            _install(torch)
        _swap["users"] += 1
    outer = getattr(_recording, "rec", None)
    _recording.rec = rec = Recorded()
    try:
        yield rec
    finally:
        _recording.rec = outer
        with _swap_lock:
            _swap["users"] -= 1
            if _swap["users"] == 0:
                torch.autograd.grad = _swap["grad"]
                torch.autograd.Function.apply = _swap["apply"]
                torch.Tensor.register_hook = _swap["hook"]
                del torch.Tensor.data  # TensorBase's again


def backward_rule_error(module, recorded: Recorded) -> UnsupportedModel | None:
    """The refusal of a backward rule of the model's own: a torch.autograd.Function applied in forward, a
    gradient hook registered on a tensor there, a module's backward hook. torch.export (and both ONNX exporters)
    trace the forward only, so an imported graph would differentiate the forward's ops instead (a gradient
    reversal layer's -lambda, a clipped or straight-through gradient): silently different gradients."""
    rules = list(recorded.backward_rules)
    for name, sub in module.named_modules():
        if getattr(sub, "_backward_hooks", None) or getattr(sub, "_backward_pre_hooks", None):
            rules.append(f"a backward hook on module {name or type(sub).__name__!r} "
                         "(register_full_backward_hook / register_full_backward_pre_hook)")
    rules += [f"a gradient hook on parameter {name!r} (register_hook)" for name, p in module.named_parameters()
              if getattr(p, "_backward_hooks", None)]
    if not rules:
        return None
    return UnsupportedModel(
        f"{type(module).__name__} has a backward rule of its own ({'; '.join(rules[:3])}): torch.export keeps only "
        "the forward's ops, so the imported gradients would be their derivative, not the rule's; import the parts "
        "around it and write the rule with gradserve's ops.custom_vjp (or a Cell's bprop), or, for a "
        "straight-through estimator, write it with .detach() (y = x + (f(x) - x).detach()), which imports")


def data_read_error(module, recorded: Recorded, torch_error: Exception) -> UnsupportedModel | None:
    """torch.export's failure on `tensor.data` in forward ("a fake tensor in the exported program constant's
    list"), named with the route; None when forward read no .data."""
    if not recorded.data_reads or "fake tensor" not in str(torch_error):
        return None
    return UnsupportedModel(
        f"torch.export cannot trace {type(module).__name__}: its forward reads tensor.data (torch: "
        f"{str(torch_error).splitlines()[0][:120]}); use .detach() there (the same value without a gradient), "
        "which imports")


def autograd_grad_error(module, calls: list, torch_error: Exception | None = None) -> UnsupportedModel | None:
    """The refusal of torch.autograd.grad in forward (see the module doc): when export failed with calls
    recorded, or succeeded with a create_graph=False call; None otherwise."""
    name = type(module).__name__
    if calls and torch_error is not None:
        return UnsupportedModel(
            f"torch.export cannot trace {name}: its forward calls torch.autograd.grad (torch: "
            f"{str(torch_error).splitlines()[0][:160]}); {_AUTOGRAD_WORKAROUND}")
    if torch_error is None and not all(calls):
        return UnsupportedModel(
            f"{name} calls torch.autograd.grad with create_graph=False in its forward: torch treats that gradient "
            f"as a constant, the exported graph's ops do not, so gradients through it would differ from torch's; "
            f"pass create_graph=True (a gradient that trains), .detach() the result if it is meant constant, or "
            f"{_AUTOGRAD_WORKAROUND}")
    return None


def refuse_transform_nodes(ep, module) -> None:
    """Raise when the exported graph holds a functorch grad transform's traces (see the module doc)."""
    for node in ep.graph.nodes:
        target = node.target
        if node.op == "call_function" and getattr(target, "__module__", "").startswith("torch._functorch") and \
                "grad" in getattr(target, "__name__", ""):
            raise UnsupportedModel(
                f"{type(module).__name__} calls {_TRANSFORMS} in its forward (node '{node.name}': "
                f"{target.__name__}): torch.export keeps the differentiated tensors as constants of the example "
                f"call, so the graph would ignore the input; {_WORKAROUND}")


def transform_export_error(e: Exception, module) -> UnsupportedModel | None:
    """torch.export's own failure inside a grad transform (over closed-over weights: "meta conversion to view
    functorch tensor"; hessian under vmap: "Cannot access data pointer of Tensor that doesn't have storage",
    raised from functorch's eager_transforms), named; None for any other."""
    import traceback

    text = str(e)
    in_transform = any(f.filename.replace("\\", "/").endswith("torch/_functorch/eager_transforms.py")
                       for f in traceback.extract_tb(e.__traceback__))
    if "functorch tensor" not in text and "TensorWrapper" not in text and not in_transform:
        return None
    return UnsupportedModel(
        f"torch.export cannot trace {type(module).__name__}: its forward calls {_TRANSFORMS} (torch: "
        f"{text.splitlines()[0][:160]}); {_WORKAROUND}")
