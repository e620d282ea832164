"""torch.func.grad / jacrev / jacfwd / vjp / hessian called inside a model's forward (a force field's
force = -grad(energy)): refused by name, since torch.export cannot give a faithful graph of them.

torch.export traces the transform's differentiated tensors as constants of the example call: with the
parameters closed over it fails inside torch ("meta conversion to view functorch tensor"); with them passed
explicitly it succeeds, but the graph reads `lifted_tensor_*` constants (the example input's and weights'
values, functorch TensorWrappers) where the input and the weights were, around `_unwrap_for_grad` nodes.
Importing that graph would answer for the example input whatever input is sent: a silently wrong force.
torch.func.vmap is not refused: export writes it as batched Core ATen ops (the zoo checks its gradients).
"""
from __future__ import annotations

from ._shared.graph_writer import UnsupportedModel

_WORKAROUND = ("import the function being differentiated (the energy) with from_torch and take its gradient "
               "with gradserve (ops.grad; nested ops.grad differentiates the force again for training)")
_TRANSFORMS = "torch.func.grad / grad_and_value / jacrev / jacfwd / vjp / hessian"


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
