"""An independent determinant for the det tests (tests/engine/test_det_op.py, tests/clients/test_mindspore_det.py):
Faddeev-LeVerrier's polynomial in PyTorch, matmuls and traces only, so torch.func's derivatives of it are exact at
every matrix, singular ones included (torch.linalg.det's own are NaN at the identity and wrong at order 3)."""
from __future__ import annotations


def poly_det(x):
    """det of a torch tensor x [..., n, n]: M_1 = I, c_(n-k) = -tr(x M_k) / k, M_(k+1) = x M_k + c_(n-k) I."""
    import torch

    n = x.shape[-1]
    eye = torch.eye(n, dtype=x.dtype)
    m, c = eye, None
    for k in range(1, n + 1):
        xm = x @ m
        c = -torch.diagonal(xm, dim1=-2, dim2=-1).sum(-1) / k
        m = xm + c[..., None, None] * eye
    return (-1.0) ** n * c
