"""torch.func.grad / jacrev / jacfwd / vjp / hessian called inside a model's forward (a force field's
force = -grad(energy)): refused by name, since torch.export cannot give a faithful graph of them.

torch.export traces the transform's differentiated tensors as constants of the example call: with the
parameters closed over it fails inside torch ("meta conversion to view functorch tensor"); with them passed
explicitly it succeeds, but the graph reads `lifted_tensor_*` constants (the example input's and weights'
values, functorch TensorWrappers) where the input and the weights were, around `_unwrap_for_grad` nodes.
Importing that graph would answer for the example input whatever input is sent: a silently wrong force.
torch.func.vmap is not refused: export writes it as batched Core ATen ops (the zoo checks its gradients).

torch.autograd.grad in forward (a PINN's residual u_t + u u_x - nu u_xx): with the weights inside the
differentiated function torch.export fails ("fake tensor in the exported program constant's list"), named
here; over the input alone it writes the backward as plain ops, which is faithful with create_graph=True but
not with create_graph=False: torch's gradient is then a constant to the outer autograd, the written ops are
not, and the imported graph would differentiate through them (zoo round 10: an input gradient 1.7 where
torch's is 0). Both are refused by name; create_graph=True over the input alone imports.
"""
from __future__ import annotations

import contextlib
import functools
import threading

from ._shared.graph_writer import UnsupportedModel

_WORKAROUND = ("import the function being differentiated (the energy) with from_torch and take its gradient "
               "with gradserve (ops.grad; nested ops.grad differentiates the force again for training)")
_TRANSFORMS = "torch.func.grad / grad_and_value / jacrev / jacfwd / vjp / hessian"


_AUTOGRAD_WORKAROUND = ("import the network being differentiated (u(x, t), the energy) with from_torch and "
                        "build the derivative terms with gradserve's ops.grad (nested for second derivatives)")


_recording = threading.local()  # this thread's list of create_graph flags while it exports
_swap_lock = threading.Lock()
_swap: dict = {"users": 0, "real": None}


@contextlib.contextmanager
def recording_autograd_grad():
    """Yields a list that gets each torch.autograd.grad call's create_graph flag made by this thread while the
    block runs (torch.export's non-strict trace runs forward as Python, in the caller's thread). The recording
    wrapper replaces torch.autograd.grad while any thread is inside such a block, then the original is back."""
    import torch

    with _swap_lock:
        if _swap["users"] == 0:
            _swap["real"] = real = torch.autograd.grad

            @functools.wraps(real)
            def grad(*args, **kwargs):
                calls = getattr(_recording, "calls", None)
                if calls is not None:
                    calls.append(bool(kwargs.get("create_graph", args[4] if len(args) > 4 else False)))
                return real(*args, **kwargs)
            torch.autograd.grad = grad
        _swap["users"] += 1
    outer = getattr(_recording, "calls", None)
    _recording.calls = calls = []
    try:
        yield calls
    finally:
        _recording.calls = outer
        with _swap_lock:
            _swap["users"] -= 1
            if _swap["users"] == 0:
                torch.autograd.grad = _swap["real"]


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
