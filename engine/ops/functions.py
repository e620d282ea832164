"""Function ops: `call`, `grad` and `jvp` name a function (sub-graph) of the graph.

They are typed from their function without expanding it (`function_op_avals`); the
engine expands them when it lowers a graph (autodiff.inline). The checks of positions,
sens and tangents live here once: the type rule and the expansion both use them.
"""
from __future__ import annotations

from ..errors import DifferentiationError, InvalidGraph, ShapeError
from ..ir import AVal
from .registry import Attr, defop, function_op_hooks, layers


def typed_by_function(avals, **attrs):  # pragma: no cover - the Builder types these by `function_op_avals`
    raise InvalidGraph("function ops are typed by their function")


defop("call", None, typed_by_function, function=True, attrs={"fn": Attr("str")}, n_outputs=None,
      doc="call function `fn` on the inputs; outputs are its flat outputs")
defop("grad", None, typed_by_function, function=True, n_outputs=None,
      attrs={"fn": Attr("str"), "positions": Attr("ints", ()), "weights": Attr("any", ()),
             "sens": Attr("bool", False), "with_value": Attr("bool", False), "int_grads": Attr("bool", False),
             "reached": Attr("bool", False), "aux": Attr("int", 0)},
      doc="reverse-mode derivative of `fn`: inputs = args (+ one sens per output if sens); "
          "aux: the last `aux` flat outputs are has_aux's, returned as values but given no cotangent "
          "(their own derivative stays for an outer grad: no stop_gradient); "
          "outputs = [values if with_value] + grads for positions + grads for weights "
          "[+ if reached: one bool scalar per grad, whether the derivative reaches that input or weight "
          "(false: no path from a differentiated output passes it, its grad is a structural zero)]; "
          "int_grads: integer and bool values carry (integer / bool) derivatives, as in MindSpore")
defop("jvp", None, typed_by_function, function=True, n_outputs=None,
      attrs={"fn": Attr("str"), "positions": Attr("ints", None, optional=True)},
      doc="forward-mode derivative of `fn`: inputs = args + one tangent per position; outputs = values + tangents")


def check_positions(positions: list[int], n: int, label: str | None) -> None:
    """Positions in range (before normalising: p % n would turn 5 of 2 inputs into 1) and unrepeated."""
    seen = set()
    for p in positions:
        if not -n <= p < n:
            raise DifferentiationError(f"grad_position {p} out of range: the function has {n} input(s)",
                                       node=label, position=p)
        if p % n in seen:
            raise DifferentiationError(f"grad_position {p} repeated", node=label, position=p)
        seen.add(p % n)


def check_sens(sens: list[AVal], outs: list[AVal], with_sens: bool, label: str | None) -> None:
    """One sens per flat output, each of its output's type; no extra inputs without sens."""
    if not with_sens:
        if sens:
            raise ShapeError(f"{len(sens)} extra input(s) given without sens_param", node=label)
        return
    if len(sens) != len(outs):
        raise ShapeError(f"sens: expected {len(outs)} tensor(s), one per output, got {len(sens)}", node=label)
    for i, (s, o) in enumerate(zip(sens, outs)):
        if s != o:
            raise ShapeError(f"sens {i} is {s} but output {i} is {o}", node=label,
                             shapes=[list(s.shape), list(o.shape)])


def check_tangents(tangents: list[AVal], args: list[AVal], positions: list[int], label: str | None) -> None:
    """One tangent per position, each of its input's type."""
    if len(tangents) != len(positions):
        raise ShapeError(f"jvp: expected {len(positions)} tangent(s), got {len(tangents)}", node=label)
    for p, t in zip(positions, tangents):
        if t != args[p]:
            raise ShapeError(f"jvp: tangent for input {p} is {t} but the input is {args[p]}", node=label,
                             shapes=[list(t.shape), list(args[p].shape)])


def jvp_positions(attrs: dict, n: int) -> list[int]:
    positions = attrs.get("positions")
    return list(range(n)) if positions is None else list(positions)


def function_op_avals(functions: dict, op: str, attrs: dict, in_avals: list[AVal], label: str) -> list[AVal]:
    """Output avals of a function node without expanding it."""
    if op in function_op_hooks:  # ops that type themselves: control flow (engine/ops/control_flow.py), ...
        return function_op_hooks[op].avals(functions, attrs, in_avals, label)
    name = attrs.get("fn")
    if name not in functions:
        raise InvalidGraph(f"unknown function {name!r}; defined: {sorted(functions) or 'none'}", node=label)
    fn = functions[name]
    n = len(fn.inputs)
    if len(in_avals) < n:
        raise InvalidGraph(f"{op} of {name!r}: function takes {n} input(s), got {len(in_avals)}", node=label)
    for i, (v, a) in enumerate(zip(fn.inputs, in_avals)):
        if v.aval != a:
            raise ShapeError(f"{op} of {name!r}: input {i} expects {v.aval}, got {a}", node=label,
                             shapes=[list(v.shape), list(a.shape)])
    outs = [v.aval for v in fn.flat_outputs]
    args = [v.aval for v in fn.inputs]
    if op == "call":
        if len(in_avals) != n:
            raise InvalidGraph(f"call of {name!r}: takes {n} input(s), got {len(in_avals)}", node=label)
        return outs
    if op == "grad":
        positions = list(attrs.get("positions") or ())
        check_positions(positions, n, label)
        # sens count and shapes are known here: report them when the graph is built or loaded
        check_sens(list(in_avals[n:]), outs, bool(attrs.get("sens")), label)
        if not 0 <= int(attrs.get("aux") or 0) < max(len(outs), 1):
            raise InvalidGraph(f"grad of {name!r}: aux={attrs.get('aux')} of {len(outs)} output(s) leaves none to "
                               "differentiate", node=label)
        pav = {p.name: p.aval for p in fn.params}
        res = list(outs) if attrs.get("with_value") else []
        res += [args[p] for p in positions]
        weights = list(attrs.get("weights") or ())
        for i, w in enumerate(weights):
            if w not in pav:
                raise DifferentiationError(f"unknown weight {w!r}; parameters of {name!r}: {sorted(pav) or 'none'}",
                                           node=label)
            if w in weights[:i]:  # (the gradient pass would mark it twice and give the first copy zeros)
                raise DifferentiationError(f"weight {w!r} repeated in the grad node's weights", node=label, weight=w)
            res.append(pav[w])
        if attrs.get("reached"):
            res += [AVal((), "bool")] * (len(positions) + len(weights))
        return res
    if op == "jvp":
        positions = jvp_positions(attrs, n)
        check_positions(positions, n, label)
        check_tangents(list(in_avals[n:]), args, positions, label)
        return outs + outs
    raise InvalidGraph(f"unknown function op {op}", node=label)
