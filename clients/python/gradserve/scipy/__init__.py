"""`gradserve.scipy` (MindSpore's `mindspore.scipy`): so far its fft module (dct / idct / dctn / idctn),
linalg.solve_triangular and optimize.linear_sum_assignment."""
from . import fft, linalg, ops, optimize, utils  # noqa: F401
