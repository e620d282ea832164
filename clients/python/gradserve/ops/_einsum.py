"""MindSpore's ops.einsum / ops.Einsum over the engine's einsum op: the equation as written (diagonals, implicit
output) or the sublist form, rewritten to what the engine's op takes (every letter once per operand)."""
from __future__ import annotations

from .._tensor import Tensor
from ._movement_ms import diagonal
from ._primitives import FUNCTIONS, Primitive


def _operands(operands):
    return tuple(operands[0]) if len(operands) == 1 and isinstance(operands[0], (tuple, list)) else operands


def _take_diagonals(equation: str, operands) -> tuple:
    """A letter repeated within one operand ('ii->i', 'iij,j->i', '...ii->...i') is that operand's diagonal
    (MindSpore's einsum supports diagonals; the engine's op does not): each repeat becomes ops.diagonal's last
    axis, so the equation the engine gets names every letter once per operand."""
    lhs, arrow, out = equation.partition("->")
    subs, ops_out = lhs.split(","), list(operands)
    if len(subs) != len(ops_out) or all(len(set(s.replace("...", ""))) == len(s.replace("...", "")) for s in subs):
        return equation, tuple(ops_out)
    if not arrow:  # implicit output: the letters seen once in the equation as written ('ii' is the trace)
        letters = lhs.replace("...", "").replace(",", "")
        once = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
        arrow, out = "->", ("..." if "..." in lhs else "") + once
    for k, s in enumerate(subs):
        if isinstance(ops_out[k], Tensor):
            subs[k], ops_out[k] = _operand_diagonals(s, ops_out[k])
    return ",".join(subs) + arrow + out, tuple(ops_out)


def _operand_diagonals(s: str, x):
    """(subscripts, operand) with each repeated letter's axes replaced by their diagonal, last."""
    n_ell = x.ndim - len(s.replace("...", ""))
    if n_ell < 0 or ("..." not in s and n_ell):
        return s, x  # does not fit: the engine's error names it
    s = s.replace("...", "*" * n_ell)  # one placeholder per ellipsis axis, never a repeated letter
    while True:
        c = next((ch for ch in s if ch != "*" and s.count(ch) > 1), None)
        if c is None:
            return (s.replace("*" * n_ell, "...") if n_ell else s), x
        i, j = s.index(c), s.index(c, s.index(c) + 1)
        x = diagonal(x, 0, i, j)
        s = "".join(ch for n, ch in enumerate(s) if n not in (i, j)) + c


_SUBLIST_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _sublist_equation(args) -> tuple:
    """MindSpore's sublist form einsum(op1, sublist1, op2, sublist2, ..., [sublist_out]): integers in [0, 52)
    name axes (0 -> 'a', 26 -> 'A'), Ellipsis is '...'; -> (equation, operands)."""
    def subs(lst):
        for v in lst:
            if v is not Ellipsis and not (isinstance(v, int) and 0 <= v < 52):
                raise ValueError(f"For 'einsum', a sublist's items must be integers in [0, 52) or Ellipsis, got {v!r}")
        return "".join("..." if v is Ellipsis else _SUBLIST_LETTERS[v] for v in lst)
    operands, lhs = list(args[0:len(args) - len(args) % 2:2]), [subs(a) for a in args[1::2]]
    out = "->" + subs(args[-1]) if len(args) % 2 else ""
    return ",".join(lhs[:len(operands)]) + out, tuple(operands)


def einsum(equation, *operands):
    """MindSpore's ops.einsum(equation, *operands) (or one tuple of operands, or the sublist form
    einsum(op1, sublist1, ...)): the engine's einsum op."""
    if isinstance(equation, Tensor):
        equation, operands = _sublist_equation((equation,) + tuple(operands))
    eq, xs = _take_diagonals(equation.replace(" ", ""), _operands(operands))
    return FUNCTIONS["einsum"](*xs, equation=eq)


class Einsum(Primitive):
    """MindSpore's ops.Einsum(equation)((a, b, ...)): the engine's einsum op."""

    op = "einsum"

    def __init__(self, equation):
        super().__init__(equation=equation.replace(" ", ""))

    def __call__(self, *operands):
        return einsum(self.attrs["equation"], *operands)


__all__ = ["einsum", "Einsum"]
