"""`gradserve.scipy.optimize` (MindSpore's `mindspore.scipy.optimize`): linear_sum_assignment so far."""
from .linear_sum_assignment import linear_sum_assignment  # (the function replaces the module as the attribute, as in MindSpore)

__all__ = ["linear_sum_assignment"]
