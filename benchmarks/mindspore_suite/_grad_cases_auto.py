"""grad_diff.py's sweep: every function of MindSpore 2.10's ops and Tensor API with a documented example
(the names in MindSpore's extracted examples, GD_EXAMPLES, default /work/ms_docex/examples.json: the same
list on both sides), probed with one float32 tensor (random normal, then the kinks), and two. A probe
MindSpore refuses (the function wants other arguments) counts as MindSpore's error and is not compared."""
from __future__ import annotations

import json
import os
import re

from mindspore import ops

from _grad_cases import BINARY, KINKS, UNARY, Case, randn, reseed
from _grad_cases_reduce import REDUCTIONS

EXAMPLES = os.environ.get("GD_EXAMPLES", "/work/ms_docex/examples.json")
# not functions of tensors to differentiate: random draws, collectives, state writes, constructors, transforms
SKIP = re.compile(r"random|rand|normal|uniform|dropout|multinomial|poisson|gamma|bernoulli|shuffle|sample|"
                  r"laplace|choice|rrelu|all_|reduce_scatter|broadcast$|send|recv|barrier|comm|assign|print|"
                  r"depend|hook|flags|get_|set_|grad|vmap|jit|jvp|vjp|jac|hessian|derivative|custom|value_and|"
                  r"primitive|constexpr|arange|range|linspace|logspace|eye|ones|zeros|full|empty|"
                  r"^is_|shape|dtype|rank$|^size$|stop_gradient|_inplace|inplace|^.*_$|seed|unique|nonzero|"
                  r"argwhere|masked_select|isend|irecv|batch_isend|gather_object|scalar|tuple|list_|sparse|coo|csr")


def _names(module: str) -> list[str]:
    if not os.path.exists(EXAMPLES):
        return []
    covered = set(UNARY) | set(BINARY) | set(REDUCTIONS)
    names = sorted({e["api"].rsplit(".", 1)[1] for e in json.load(open(EXAMPLES)) if e["module"] == module})
    return [n for n in names if n[0].islower() and n not in covered and not SKIP.search(n)]


def _probes(name: str, call) -> list[Case]:
    x, y = randn(2, 3), randn(2, 3)
    return [Case(f"{name}[auto,normal]", lambda a: call(a), (x,)),
            Case(f"{name}[auto,kinks]", lambda a: call(a), (KINKS,)),
            Case(f"{name}[auto,two]", lambda a, b: call(a, b), (x, y))]


def cases() -> list[Case]:
    reseed("_grad_cases_auto")
    found = []
    for name in _names("ops"):
        found += _probes(f"ops.{name}", lambda *a, n=name: getattr(ops, n)(*a))
    for name in _names("Tensor"):
        found += _probes(f"Tensor.{name}", lambda t, *a, n=name: getattr(t, n)(*a))
    return found

