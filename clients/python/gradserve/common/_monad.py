"""`mindspore.common._monad`: the state monads U (memory) and IO that MindSpore's graphs thread through
side-effecting ops to order them. gradserve's traces keep program order already, so they are markers only:
`ops.depend(x, U)` is x, as in MindSpore."""
from __future__ import annotations


class UMonad:
    """The memory-state marker (`mindspore._c_expression.UMonad`)."""


class IOMonad:
    """The input/output-state marker (`mindspore._c_expression.IOMonad`)."""


U = UMonad()
IO = IOMonad()
