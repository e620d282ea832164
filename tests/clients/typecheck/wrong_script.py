"""Deliberately wrong: each marked line must be reported by both checkers (tests/clients/test_typecheck.py)."""
from __future__ import annotations

import gradserve as ms
from gradserve import Tensor, ops

m = ops.MatMul(transpose_a="yes")  # WRONG: transpose_a is a bool
s = ops.Softmax(axis=0, nope=1)  # WRONG: no such option
r = ops.ReduceSum(keep_dims=True)(Tensor([1.0]), 0)
a = ops.sin("x")  # WRONG: not a tensor
b = ops.cos(inputs=a)  # WRONG: MindSpore's keyword is input (or x)
g = ops.Argmax(axis="last")  # WRONG: a generated op's attribute is an int
c = ms.Client("http://127.0.0.1:8000")
c.grad(None, [], grad_positon=0)  # WRONG: a misspelt option
c.eval(None, [], timeout="soon")  # WRONG: timeout is seconds
