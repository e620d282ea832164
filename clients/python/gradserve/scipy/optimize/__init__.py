"""`gradserve.scipy.optimize` (MindSpore's `mindspore.scipy.optimize`): linear_sum_assignment so far."""
from ._linear_sum_assignment import linear_sum_assignment

__all__ = ["linear_sum_assignment"]
