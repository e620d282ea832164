"""`mindspore.train.amp`: where MindSpore's training code imports the mixed-precision functions from (the
same objects as gradserve.amp), and `_OutputTo32`, the Cell that gives its network's floating results as float32."""
from .. import amp as _amp
from .. import nn as _nn
from .._amp_cast import _to32
from ..ops import functional as _F
from ..amp import (DynamicLossScaleManager, FixedLossScaleManager, LossScaleManager, auto_mixed_precision,  # noqa: F401
                   build_train_network, custom_mixed_precision, get_black_list, get_white_list)


class _OutputTo32(_nn.Cell):
    """_OutputTo32(backbone): backbone's floating results (a Tensor or a tuple / list of them) as float32."""

    def __init__(self, backbone):
        super().__init__(auto_prefix=False)
        self._backbone = backbone

    def construct(self, *args, **kwargs):
        return _to32(self._backbone(*args, **kwargs), _F.cast)


__all__ = [*_amp.__all__, "_OutputTo32"]
