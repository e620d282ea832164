"""Round 19's held-out torch models (benchmarks/IMPORT_ZOO.md, Round 19): kinds no earlier round had. Each builder
returns a model in eval mode; test_zoo19.py imports them (torch.export) and checks them against torch's autograd."""
import torch
from torch import nn
from torch.nn import functional as F


def _seeded(cls):
    def build(*args):
        torch.manual_seed(19)
        return cls(*args).eval()
    return build


class DiffusionAttnUpBlock(nn.Module):
    """A diffusion UNet's decoder block: GroupNorm + SiLU + 3x3 conv residual, spatial self-attention (GroupNorm,
    1x1 q / k / v, softmax over the H*W positions, 1x1 out, residual), nearest 2x upsample + 3x3 conv."""

    def __init__(self, c=8):
        super().__init__()
        self.n1, self.c1 = nn.GroupNorm(4, c), nn.Conv2d(c, c, 3, padding=1)
        self.n2, self.c2 = nn.GroupNorm(4, c), nn.Conv2d(c, c, 3, padding=1)
        self.na, self.qkv, self.proj = nn.GroupNorm(4, c), nn.Conv2d(c, 3 * c, 1), nn.Conv2d(c, c, 1)
        self.up = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):                                               # (2, 8, 4, 4)
        h = self.c2(F.silu(self.n2(self.c1(F.silu(self.n1(x))))))
        x = x + h
        b, c, hh, ww = x.shape
        q, k, v = self.qkv(self.na(x)).reshape(b, 3, c, hh * ww).unbind(1)
        a = torch.softmax(q.transpose(1, 2) @ k / c ** 0.5, -1)       # (b, hw, hw)
        x = x + self.proj((v @ a.transpose(1, 2)).reshape(b, c, hh, ww))
        return self.up(F.interpolate(x, scale_factor=2, mode="nearest"))


class LovaszHinge(nn.Module):
    """The Lovasz hinge (Berman et al. 2018) of a linear segmentation head, per image: the hinge errors sorted
    (descending), the Jaccard loss's gradient from the cumulative sums of the labels in that order, dotted with
    relu(errors). Labels are a fixed buffer."""

    def __init__(self, n=16):
        super().__init__()
        self.head = nn.Linear(n, n)
        self.register_buffer("labels", (torch.rand(2, n) > 0.5).float())

    def forward(self, x):                                               # (2, 16)
        signs = 2 * self.labels - 1
        errors = 1 - self.head(x) * signs
        errs, perm = torch.sort(errors, dim=1, descending=True)
        gt = torch.gather(self.labels, 1, perm)
        gts = gt.sum(1, keepdim=True)
        inter = gts - gt.cumsum(1)
        union = gts + (1 - gt).cumsum(1)
        jac = 1 - inter / union
        grad = torch.cat([jac[:, :1], jac[:, 1:] - jac[:, :-1]], 1)
        return (F.relu(errs) * grad).sum(1)


class FocalLabelSmoothing(nn.Module):
    """A classifier head under the focal loss (gamma 2, per-class alpha) with label smoothing 0.1, per sample."""

    def __init__(self, d=6, k=4):
        super().__init__()
        self.head = nn.Sequential(nn.Linear(d, 8), nn.GELU(), nn.Linear(8, k))
        self.register_buffer("target", torch.tensor([0, 3, 1, 2, 3]))
        self.register_buffer("alpha", torch.tensor([0.25, 0.5, 0.75, 1.0]))

    def forward(self, x):                                               # (5, 6)
        logp = torch.log_softmax(self.head(x), -1)
        k = logp.shape[-1]
        q = F.one_hot(self.target, k).float() * 0.9 + 0.1 / k
        return -(self.alpha * (1 - logp.exp()) ** 2 * q * logp).sum(-1)


class ArcFaceHead(nn.Module):
    """ArcFace's additive angular margin (Deng et al. 2019): normalised embeddings and class centres, the target
    class's angle plus m (acos of the clamped cosine), scale s, cross-entropy per sample."""

    def __init__(self, d=6, k=5, s=8.0, m=0.3):
        super().__init__()
        self.emb, self.centres = nn.Linear(d, 4), nn.Parameter(torch.randn(k, 4))
        self.register_buffer("target", torch.tensor([1, 4, 0]))
        self.s, self.m = s, m

    def forward(self, x):                                               # (3, 6)
        cos = F.normalize(self.emb(x), dim=-1) @ F.normalize(self.centres, dim=-1).T
        theta = torch.acos(cos.clamp(-0.999, 0.999))
        hit = F.one_hot(self.target, cos.shape[-1]).bool()
        logits = self.s * torch.where(hit, torch.cos(theta + self.m), cos)
        return F.cross_entropy(logits, self.target, reduction="none")


class ChamferDistance(nn.Module):
    """The Chamfer distance between a learned point cloud decoder's output and a fixed target cloud: each point's
    squared distance to the other set's nearest point (min over the pairwise matrix), both ways."""

    def __init__(self, d=5, n=6):
        super().__init__()
        self.dec = nn.Sequential(nn.Linear(d, 16), nn.Tanh(), nn.Linear(16, n * 3))
        self.register_buffer("target", torch.randn(7, 3))
        self.n = n

    def forward(self, z):                                               # (2, 5)
        p = self.dec(z).reshape(z.shape[0], self.n, 3)
        d = ((p[:, :, None] - self.target[None, None]) ** 2).sum(-1)   # (b, n, 7)
        return d.min(2).values.mean(1) + d.min(1).values.mean(1)


class SlicedWasserstein(nn.Module):
    """The sliced Wasserstein-2 distance between a generator's samples and fixed data: both sets projected on 8
    fixed random directions (a buffer), sorted per direction (torch.sort), squared differences of the order
    statistics."""

    def __init__(self, d=4, n=10):
        super().__init__()
        self.gen = nn.Sequential(nn.Linear(d, 12), nn.SiLU(), nn.Linear(12, 3))
        self.register_buffer("data", torch.randn(n, 3))
        self.register_buffer("dirs", F.normalize(torch.randn(3, 8), dim=0))

    def forward(self, z):                                               # (10, 4)
        a = torch.sort(self.gen(z) @ self.dirs, dim=0).values
        b = torch.sort(self.data @ self.dirs, dim=0).values
        return ((a - b) ** 2).mean(0)


MODELS = {
    "diffusion_attn_upsample_block": (_seeded(DiffusionAttnUpBlock), lambda: torch.randn(2, 8, 4, 4)),
    "lovasz_hinge_sorted": (_seeded(LovaszHinge), lambda: torch.randn(2, 16)),
    "focal_loss_label_smoothing": (_seeded(FocalLabelSmoothing), lambda: torch.randn(5, 6)),
    "arcface_angular_margin": (_seeded(ArcFaceHead), lambda: torch.randn(3, 6)),
    "chamfer_distance": (_seeded(ChamferDistance), lambda: torch.randn(2, 5)),
    "sliced_wasserstein_sort": (_seeded(SlicedWasserstein), lambda: torch.randn(10, 4)),
}
