"""`gradserve.scipy` (MindSpore's `mindspore.scipy`): so far its fft module (dct / idct / dctn / idctn) and
linalg.solve_triangular."""
from . import fft, linalg, ops, utils  # noqa: F401
