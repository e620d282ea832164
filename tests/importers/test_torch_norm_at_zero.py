"""torch.export import of vector / Frobenius norms at the zero vector: torch's backward gives 0 there
(a subgradient), not the 0/0 of d sqrt(s); checked against torch.autograd on rows that are all zero."""
import pytest
import torch
import torch.nn.functional as F

import gradserve as gs

from .sweep import check_imported


class Norm(torch.nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


FORMS = {
    "vector_norm_2": lambda x: torch.linalg.vector_norm(x, dim=-1) * 1.5,
    "vector_norm_3": lambda x: torch.linalg.vector_norm(x, ord=3, dim=-1, keepdim=True) + x,
    "vector_norm_1_5": lambda x: torch.linalg.vector_norm(x, ord=1.5, dim=1),
    "norm": lambda x: torch.norm(x, dim=1) + torch.norm(x[1]),
    "frobenius": lambda x: torch.linalg.norm(x[1:2], "fro") + torch.linalg.matrix_norm(x[:2]),
    "normalize": lambda x: F.normalize(x, dim=-1),
    "cdist": lambda x: torch.cdist(x, x * 1.0),
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_norm_gradient_at_zero_matches_torch(fake, form):
    x = torch.randn(3, 4, generator=torch.Generator().manual_seed(0))
    x[1] = 0.0  # a zero row: torch's gradient there is finite (0 for the norm itself)
    model = Norm(FORMS[form])
    check_imported(gs.from_torch(model, (x,)), model, (x,))
