"""`gradserve.scipy.optimize` (MindSpore's `mindspore.scipy.optimize`): linear_sum_assignment, minimize
('BFGS' / 'LBFGS' on gradserve's gradients) and line_search."""
from .linear_sum_assignment import linear_sum_assignment  # (the function replaces the module as the attribute, as in MindSpore)
from ._line_search import line_search
from ._minimize import minimize

__all__ = ["linear_sum_assignment", "minimize", "line_search"]
