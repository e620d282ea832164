"""Round 24's held-out torch models (benchmarks/IMPORT_ZOO.md, Round 24): kinds no earlier round had. Each builder
returns a model in eval mode; test_zoo24.py imports them (torch.export, some through ONNX) and checks them against
torch's autograd."""
import torch
from torch import nn
from torch.nn import functional as F


def _seeded(cls):
    def build(*args):
        torch.manual_seed(24)
        return cls(*args).eval()
    return build


class TinyUNet(nn.Module):
    """A two-level U-Net: stride-2 convolutions down, ConvTranspose2d up (output_padding=1 to reach the odd 7-pixel
    level: 7 -> 4 -> 7), skip concatenations, GroupNorm, and a PixelShuffle head (2x sub-pixel upsampling)."""

    def __init__(self):
        super().__init__()
        self.inc = nn.Conv2d(2, 4, 3, padding=1)
        self.down = nn.Conv2d(4, 6, 3, stride=2, padding=1)
        self.mid = nn.Conv2d(6, 6, 3, padding=1, dilation=1)
        self.up = nn.ConvTranspose2d(6, 4, 3, stride=2, padding=1, output_padding=0)
        self.norm = nn.GroupNorm(2, 8)
        self.out = nn.Conv2d(8, 3 * 4, 1)
        self.shuffle = nn.PixelShuffle(2)

    def forward(self, x):                                               # (2, 2, 7, 7)
        a = F.silu(self.inc(x))                                         # (2, 4, 7, 7)
        b = F.silu(self.mid(F.silu(self.down(a))))                      # (2, 6, 4, 4)
        u = self.up(b)                                                  # (2, 4, 7, 7)
        h = F.gelu(self.norm(torch.cat([u, a], 1)))                     # skip concat
        return self.shuffle(self.out(h))                                # (2, 3, 14, 14)


class ConvTransposeOutputPadding(nn.Module):
    """A decoder stem of ConvTranspose1d / 2d with output_padding, groups and dilation (the shapes a VAE decoder
    uses to reach even sizes), each against torch's."""

    def __init__(self):
        super().__init__()
        self.t1 = nn.ConvTranspose1d(4, 4, 3, stride=2, padding=1, output_padding=1, groups=2)
        self.t2 = nn.ConvTranspose2d(4, 2, (3, 2), stride=(2, 3), padding=(1, 0), output_padding=(1, 2), dilation=1)
        self.t3 = nn.ConvTranspose2d(2, 2, 3, stride=1, padding=2, dilation=2)

    def forward(self, x):                                               # (2, 4, 5)
        y = torch.tanh(self.t1(x))                                      # (2, 4, 10)
        z = self.t2(y[:, :, None, :] * y[:, :, :, None][..., :5, :])    # (2, 4, 5, 10) -> (2, 2, 10, 29)
        return self.t3(F.softplus(z))


class SqueezeExcitationResBlock(nn.Module):
    """A ResNet block with squeeze-and-excitation (global average pool, bottleneck, sigmoid channel gates),
    BatchNorm in eval, and stochastic depth (DropPath: the identity in eval) on the residual branch."""

    def __init__(self, c=8):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
        self.c2, self.b2 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
        self.se1, self.se2 = nn.Linear(c, c // 4), nn.Linear(c // 4, c)
        with torch.no_grad():
            for bn in (self.b1, self.b2):
                bn.running_mean.uniform_(-0.3, 0.3)
                bn.running_var.uniform_(0.5, 1.5)

    def forward(self, x):                                               # (2, 8, 5, 5)
        h = F.relu(self.b1(self.c1(x)))
        h = self.b2(self.c2(h))
        s = torch.sigmoid(self.se2(F.relu(self.se1(h.mean((2, 3))))))   # (2, 8): channel gates
        return F.relu(x + h * s[:, :, None, None])


class BagOfEmbeddings(nn.Module):
    """A recommender's sparse side: nn.EmbeddingBag in 'sum' and 'mean' modes over ragged bags given by offsets,
    the sum weighted per sample (the input: differentiable), a continuous feature bucketized (torch.bucketize) into
    an embedding, then a dense tower."""

    def __init__(self):
        super().__init__()
        self.bag_sum = nn.EmbeddingBag(10, 4, mode="sum")
        self.bag_mean = nn.EmbeddingBag(10, 4, mode="mean")
        self.bucket_emb = nn.Embedding(5, 4)
        self.register_buffer("ids", torch.tensor([1, 4, 4, 7, 0, 9, 2, 3, 3, 8]))
        self.register_buffer("offsets", torch.tensor([0, 3, 4, 7]))   # bags of 3, 1, 3 and 3 ids
        self.register_buffer("bounds", torch.tensor([-1.0, -0.3, 0.3, 1.0]))
        self.tower = nn.Linear(12, 3)

    def forward(self, x):                                               # (14,): 10 per-sample weights, 4 features
        w, feat = x[:10], x[10:]
        a = self.bag_sum(self.ids, self.offsets, per_sample_weights=w)  # (4, 4)
        b = self.bag_mean(self.ids, self.offsets)
        c = self.bucket_emb(torch.bucketize(feat.detach(), self.bounds)) * feat[:, None]
        return self.tower(torch.tanh(torch.cat([a, b, c], 1)))

    def by_index_add(self, x):
        """The same bags by index_add (torch has no forward-mode rule for embedding_bag: the jvp reference)."""
        w, feat = x[:10], x[10:]
        bag = torch.bucketize(torch.arange(10), self.offsets, right=True) - 1
        zeros = torch.zeros(4, 4)
        a = zeros.index_add(0, bag, self.bag_sum.weight[self.ids] * w[:, None])
        counts = torch.bincount(bag, minlength=4).float()[:, None]
        b = zeros.index_add(0, bag, self.bag_mean.weight[self.ids]) / counts
        c = self.bucket_emb(torch.bucketize(feat.detach(), self.bounds)) * feat[:, None]
        return self.tower(torch.tanh(torch.cat([a, b, c], 1)))


class MetricLearningHead(nn.Module):
    """Attention pooling of token embeddings (a learned query), then metric losses on the pooled anchors /
    positives / negatives: F.cosine_similarity, F.triplet_margin_loss (p=2, swap=True) and
    F.triplet_margin_with_distance_loss with a cosine distance, per sample."""

    def __init__(self, d=6):
        super().__init__()
        self.proj = nn.Linear(d, d)
        self.query = nn.Parameter(torch.randn(d) * 0.5)

    def pool(self, t):                                                  # (B, T, d) -> (B, d)
        k = self.proj(t)
        a = torch.softmax(k @ self.query / k.shape[-1] ** 0.5, -1)
        return (a[..., None] * k).sum(1)

    def forward(self, x):                                               # (3, 4, 5, 6): anchor, positive, negative
        a, p, n = self.pool(x[0]), self.pool(x[1]), self.pool(x[2])
        cos = F.cosine_similarity(a, p, dim=-1)
        trip = F.triplet_margin_loss(a, p, n, margin=0.5, p=2, swap=True, reduction="none")
        dist = F.triplet_margin_with_distance_loss(a, p, n, distance_function=lambda u, v: 1 - F.cosine_similarity(
            u, v), margin=0.3, reduction="none")
        return torch.stack([cos, trip, dist], 1)


class NestedCondGate(nn.Module):
    """torch.cond nested in torch.cond: the outer predicate on the input's mean, the inner on a layer's output
    norm; each branch its own layers (a branch's weights get zero gradient where it is not taken)."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, 4)

    def forward(self, x):                                               # (3, 4)
        def inner_true(h):
            return torch.tanh(self.b(h)) * 2

        def inner_false(h):
            return torch.sin(self.c(h)) - h

        def outer_true(h):
            g = self.a(h)
            return torch.cond(g.norm() > 2.0, inner_true, inner_false, (g,))

        def outer_false(h):
            return self.c(h) ** 2

        return torch.cond(x.mean() > 0, outer_true, outer_false, (x,))

    def eager(self, x):
        """The same branches as Python ifs (torch.func.jvp cannot run torch.cond eagerly: the jvp reference)."""
        if x.mean() > 0:
            g = self.a(x)
            return torch.tanh(self.b(g)) * 2 if g.norm() > 2.0 else torch.sin(self.c(g)) - g
        return self.c(x) ** 2


MODELS = {
    "tiny_unet_convtranspose_pixelshuffle": (_seeded(TinyUNet), lambda: torch.randn(2, 2, 7, 7)),
    "convtranspose_output_padding_groups": (_seeded(ConvTransposeOutputPadding), lambda: torch.randn(2, 4, 5)),
    "se_resblock_droppath": (_seeded(SqueezeExcitationResBlock), lambda: torch.randn(2, 8, 5, 5)),
    "embedding_bag_bucketize": (_seeded(BagOfEmbeddings), lambda: torch.randn(14)),
    "metric_learning_triplet_head": (_seeded(MetricLearningHead), lambda: torch.randn(3, 4, 5, 6)),
    "nested_torch_cond": (_seeded(NestedCondGate), lambda: torch.randn(3, 4) + 0.5),
}
# torch's forward mode has no rule for these models' ops: the jvp is compared with an equal model's
JVP_REFERENCE = {"embedding_bag_bucketize": "by_index_add", "nested_torch_cond": "eager"}
