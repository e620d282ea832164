"""`mindspore.ops.operations.math_ops`: where MindSpore defines these op classes; gradserve's are all in ops
(MindSpore's tests import e.g. `from mindspore.ops.operations.math_ops import ...`)."""
from .. import *  # noqa: F401,F403
from .. import __all__  # noqa: F401
from ... import ops as _ops  # noqa: E402
from ._missing import module_getattr  # noqa: E402
from ..._tensor import Tensor as _Tensor  # noqa: E402

import numpy as _np  # noqa: E402



class AddV2:
    """math_ops.AddV2()(x, y): x + y (MindSpore keeps it here only, not in ops)."""

    def __call__(self, x, y):
        return _ops.add(x, y)


class MatrixLogarithm:
    """math_ops.MatrixLogarithm()(x): the principal logarithm of each square complex64 / complex128 matrix of x
    [..., n, n], V diag(log w) V^-1 from NumPy's eigendecomposition on the client (a value of the trace, read
    when traced). A matrix whose eigenvectors are near-dependent (a defective one, which MindSpore's Schur
    method handles) is refused rather than answered wrongly. No gradient (MindSpore 2.10 defines none)."""

    _COND_LIMIT = 1e8  # beyond it the eigenbasis cannot carry the logarithm to float precision

    def __call__(self, x):
        if not isinstance(x, _Tensor) or x._dtype not in ("complex64", "complex128"):
            raise TypeError("For primitive[MatrixLogarithm], the input argument[x] must be a type of "
                            "{Tensor[Complex128], Tensor[Complex64]}, but got "
                            f"{getattr(x, 'dtype', type(x).__name__)}.")
        if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
            raise ValueError(f"For 'MatrixLogarithm', x must be [..., n, n], got shape {list(x.shape)}")
        a = _np.asarray(x._concrete("MatrixLogarithm's input (its logarithm is computed on the client)"))
        w, v = _np.linalg.eig(a.astype(_np.complex128))
        if a.size and _np.max(_np.linalg.cond(v)) > self._COND_LIMIT:
            raise ValueError("For 'MatrixLogarithm', a matrix of x is defective (its eigenvectors are nearly "
                             "dependent): not supported by gradserve")
        out = (v * _np.log(w)[..., None, :]) @ _np.linalg.inv(v)
        return _Tensor(out.astype(a.dtype))


__getattr__ = module_getattr("mindspore.ops.operations.math_ops", _ops)  # a name gradserve lacks: an error when used
