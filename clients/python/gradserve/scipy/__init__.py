"""`gradserve.scipy` (MindSpore's `mindspore.scipy`): so far its fft module (dct / idct / dctn / idctn)."""
from . import fft  # noqa: F401
