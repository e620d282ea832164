"""Held-out networks for the sweep (round 12, kinds not in earlier rounds), written as users write them: a
Lagrangian neural network whose forward takes the Hessian of a learned Lagrangian (torch.func.hessian / grad
inside forward, the Euler-Lagrange solve: torch.export cannot export it), the Temporal Fusion Transformer's
variable selection (gated residual networks, GLU, static context), MLP-Mixer with a gMLP spatial gating unit,
StyleGAN2's modulated convolution (per-sample weights demodulated, run as one grouped convolution), a MADE masked
autoregressive flow (masks as buffers, the log-determinant), the Cox proportional-hazards partial likelihood (risk
sets by a sort and logcumsumexp), a Nystromformer (landmark attention, the Moore-Penrose pseudo-inverse by
Newton-Schulz), an involution (per-pixel kernels generated from the input, applied through unfold), CBAM (channel
and spatial attention from average and max pools) and a modern Hopfield layer (retrieval by repeated softmax
updates). Same contract as zoo.py; tiny shapes."""
import torch
from torch import nn
from torch.nn import functional as F

from .zoo import _x, case
from .zoo_families import _distinct


@case("lagrangian_nn_func_hessian_euler_lagrange")
def _lnn():
    class LNN(nn.Module):
        """Cranmer et al. (2020): L(q, qd) an MLP; qdd = (d2L/dqd2)^-1 (dL/dq - d2L/dq dqd qd), the Hessian
        blocks from torch.func.hessian of L w.r.t. the state [q, qd] (per sample by vmap)."""

        def __init__(self, n=2, h=8):
            super().__init__()
            self.l1, self.l2, self.n = nn.Linear(2 * n, h), nn.Linear(h, 1), n

        def lagrangian(self, s):  # s [2n] -> scalar (softplus: second derivatives everywhere)
            return self.l2(F.softplus(self.l1(s))).sum() + 0.5 * (s[self.n:] ** 2).sum()

        def forward(self, s):  # s [b, 2n]
            from torch.func import grad, hessian, vmap

            n = self.n
            g = vmap(grad(self.lagrangian))(s)
            hs = vmap(hessian(self.lagrangian))(s)
            m = hs[:, n:, n:]  # d2L / dqd2 (the mass matrix; + I from the kinetic term)
            mixed = hs[:, n:, :n]  # d2L / dqd dq
            rhs = g[:, :n] - (mixed @ s[:, n:, None])[..., 0]
            return torch.linalg.solve(m, rhs[..., None])[..., 0]
    torch.manual_seed(120)
    return _distinct(LNN()), (_x(3, 4, seed=1),)


@case("temporal_fusion_grn_variable_selection")
def _tft():
    class VariableSelection(nn.Module):
        """Lim et al. (2021), Temporal Fusion Transformer: a gated residual network per variable (ELU, GLU gate,
        LayerNorm over skip + gated), softmax selection weights from a GRN over all flattened variables given a
        static context, the selected mixture."""

        def __init__(self, nvar=3, d=4, ctx=2):
            super().__init__()
            self.embed = nn.ModuleList([nn.Linear(1, d) for _ in range(nvar)])
            self.per_var = nn.ModuleList([self._grn(d, d) for _ in range(nvar)])
            self.sel = self._grn(nvar * d, nvar, ctx)
            self.skip = nn.Linear(nvar * d, nvar)

        @staticmethod
        def _grn(din, dout, ctx=0):
            return nn.ModuleDict({"a": nn.Linear(din, dout), "c": nn.Linear(ctx, dout, bias=False) if ctx
                                  else nn.Identity(), "b": nn.Linear(dout, dout), "glu": nn.Linear(dout, 2 * dout),
                                  "norm": nn.LayerNorm(dout)})

        @staticmethod
        def _run(m, x, skip, c=None):
            h = m["a"](x) + (m["c"](c) if c is not None else 0)
            h = m["b"](F.elu(h))
            return m["norm"](skip + F.glu(m["glu"](h), -1))

        def forward(self, x, c):  # x [b, t, nvar] real-valued inputs, c [b, ctx] static context
            e = [emb(x[..., i:i + 1]) for i, emb in enumerate(self.embed)]
            flat = torch.cat(e, -1)
            w = torch.softmax(self._run(self.sel, flat, self.skip(flat), c[:, None].expand(-1, x.shape[1], -1)), -1)
            v = torch.stack([self._run(g, ei, ei) for g, ei in zip(self.per_var, e)], -1)  # [b, t, d, nvar]
            return (v * w[:, :, None]).sum(-1)
    torch.manual_seed(121)
    return _distinct(VariableSelection()), (_x(2, 5, 3, seed=1), _x(2, 2, seed=2))


@case("mlp_mixer_gmlp_spatial_gating")
def _mixer():
    class MixerGmlp(nn.Module):
        """A Mixer block (token-mixing MLP across patches on the transposed sequence, channel-mixing MLP) and a gMLP
        block (spatial gating: one half of the channels normalised and projected along the sequence, gating the
        other half)."""

        def __init__(self, t=6, c=8):
            super().__init__()
            self.n1, self.n2, self.n3, self.n4 = nn.LayerNorm(c), nn.LayerNorm(c), nn.LayerNorm(c), nn.LayerNorm(c)
            self.tok = nn.Sequential(nn.Linear(t, 10), nn.GELU(), nn.Linear(10, t))
            self.ch = nn.Sequential(nn.Linear(c, 12), nn.GELU(), nn.Linear(12, c))
            self.up, self.down = nn.Linear(c, 2 * c), nn.Linear(c, c)
            self.spatial = nn.Conv1d(t, t, 1)  # gMLP's seq x seq projection
            with torch.no_grad():
                self.spatial.bias.fill_(1.0)

        def forward(self, x):  # x [b, t, c]
            x = x + self.tok(self.n1(x).transpose(1, 2)).transpose(1, 2)
            x = x + self.ch(self.n2(x))
            u, v = F.gelu(self.up(self.n3(x))).chunk(2, -1)
            return x + self.down(u * self.spatial(self.n4(v)))
    torch.manual_seed(122)
    return _distinct(MixerGmlp()), (_x(2, 6, 8, seed=1),)


@case("stylegan2_modulated_conv_demodulation_grouped")
def _modconv():
    class ModConv(nn.Module):
        """Karras et al. (2020): style s = A(w); weight_i = W * s_i (input channels), demodulated by
        rsqrt(sum W'^2 + eps) per output channel; the batch run as one conv with groups = batch; noise injection
        with a learned strength, bias, leaky ReLU * sqrt(2)."""

        def __init__(self, cin=3, cout=4, wdim=5, k=3):
            super().__init__()
            self.weight = nn.Parameter(torch.randn(cout, cin, k, k))
            self.affine = nn.Linear(wdim, cin)
            self.noise_strength = nn.Parameter(torch.tensor([0.1]))
            self.bias = nn.Parameter(torch.zeros(cout))

        def forward(self, x, w, noise):  # x [b, cin, h, w], w [b, wdim], noise [b, 1, h, w]
            b, cin, hh, ww = x.shape
            s = self.affine(w) + 1
            wt = self.weight[None] * s[:, None, :, None, None]  # [b, cout, cin, k, k]
            wt = wt * torch.rsqrt((wt ** 2).sum((2, 3, 4), keepdim=True) + 1e-8)
            y = F.conv2d(x.reshape(1, b * cin, hh, ww), wt.reshape(-1, cin, *wt.shape[3:]), padding=1, groups=b)
            y = y.reshape(b, -1, hh, ww) + noise * self.noise_strength
            return F.leaky_relu(y + self.bias[None, :, None, None], 0.2) * 2 ** 0.5
    torch.manual_seed(123)
    return _distinct(ModConv()), (_x(2, 3, 5, 5, seed=1), _x(2, 5, seed=2), _x(2, 1, 5, 5, seed=3))


@case("made_masked_autoregressive_flow_logdet")
def _made():
    class MAF(nn.Module):
        """Papamakarios et al. (2017): a MADE (masked linear layers, masks as buffers from degrees) gives mu and
        log-scale of each dimension from the earlier ones; u = (x - mu) exp(-alpha); log p(x) = log N(u) -
        sum alpha; two layers with a reversal between them."""

        def __init__(self, d=4, h=8, layers=2):
            super().__init__()
            deg_in = torch.arange(1, d + 1)
            deg_h = torch.arange(h) % (d - 1) + 1
            self.register_buffer("m1", (deg_h[:, None] >= deg_in[None]).float())
            self.register_buffer("m2", (deg_in[:, None] > deg_h[None]).float().repeat(2, 1))
            self.l1 = nn.ModuleList([nn.Linear(d, h) for _ in range(layers)])
            self.l2 = nn.ModuleList([nn.Linear(h, 2 * d) for _ in range(layers)])

        def forward(self, x):  # x [b, d] -> log p(x) [b]
            logdet = torch.zeros(x.shape[0])
            for l1, l2 in zip(self.l1, self.l2):
                hid = torch.tanh(F.linear(x, l1.weight * self.m1, l1.bias))
                mu, alpha = F.linear(hid, l2.weight * self.m2, l2.bias).chunk(2, -1)
                alpha = torch.tanh(alpha)
                x = ((x - mu) * torch.exp(-alpha)).flip(-1)
                logdet = logdet - alpha.sum(-1)
            return -0.5 * (x ** 2).sum(-1) - 0.5 * x.shape[-1] * torch.log(torch.tensor(2 * torch.pi)) + logdet
    torch.manual_seed(124)
    return _distinct(MAF()), (_x(5, 4, seed=1),)


@case("cox_partial_likelihood_sort_logcumsumexp")
def _cox():
    class DeepSurv(nn.Module):
        """Katzman et al. (2018): risk r = MLP(x); the negative Cox partial log-likelihood
        -sum_{events} (r_i - log sum_{j: t_j >= t_i} exp r_j) / #events: times sorted descending so each risk set
        is a prefix (logcumsumexp), the event indicator a float mask."""

        def __init__(self, d=4, h=6):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(d, h), nn.SELU(), nn.Linear(h, 1))

        def forward(self, x, time, event):  # x [n, d], time [n] (distinct), event [n] (0 / 1)
            order = torch.argsort(time, descending=True)
            r = self.net(x)[:, 0][order]
            e = event[order]
            return -((r - torch.logcumsumexp(r, 0)) * e).sum() / e.sum(), r
    torch.manual_seed(125)
    time = torch.tensor([3.0, 1.5, 7.2, 0.4, 5.1, 2.2, 6.3])
    event = torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0])
    return _distinct(DeepSurv()), (_x(7, 4, seed=1), time, event)


@case("nystromformer_landmarks_newton_schulz_pinv")
def _nystrom():
    class Nystrom(nn.Module):
        """Xiong et al. (2021): landmarks = segment means of q and k; softmax(q k~^T) pinv(softmax(q~ k~^T))
        softmax(q~ k^T) v, the pseudo-inverse by 6 Newton-Schulz iterations from z0 = a^T / (||a||_1 ||a||_inf),
        plus a depthwise convolution skip over v."""

        def __init__(self, d=8, m=3):
            super().__init__()
            self.qkv, self.out, self.m = nn.Linear(d, 3 * d), nn.Linear(d, d), m
            self.conv = nn.Conv1d(d, d, 3, padding=1, groups=d)

        def forward(self, x):  # x [b, n, d], n divisible by m
            b, n, d = x.shape
            q, k, v = self.qkv(x).chunk(3, -1)
            q = q / d ** 0.25
            k = k / d ** 0.25
            ql, kl = q.reshape(b, self.m, n // self.m, d).mean(2), k.reshape(b, self.m, n // self.m, d).mean(2)
            k1, k2, k3 = (torch.softmax(q @ kl.transpose(1, 2), -1), torch.softmax(ql @ kl.transpose(1, 2), -1),
                          torch.softmax(ql @ k.transpose(1, 2), -1))
            eye = torch.eye(self.m)
            norm1, norm_inf = k2.abs().sum(-2).amax(-1), k2.abs().sum(-1).amax(-1)
            z = k2.transpose(1, 2) / (norm1 * norm_inf)[:, None, None]
            for _ in range(6):
                kz = k2 @ z
                z = 0.25 * z @ (13 * eye - kz @ (15 * eye - kz @ (7 * eye - kz)))
            att = k1 @ z @ (k3 @ v)
            return self.out(att + self.conv(v.transpose(1, 2)).transpose(1, 2))
    torch.manual_seed(126)
    return _distinct(Nystrom()), (_x(2, 6, 8, seed=1),)


@case("involution_generated_kernels_unfold")
def _involution():
    class Involution(nn.Module):
        """Li et al. (2021): a k x k kernel per pixel and group generated from that pixel (reduce, BN, ReLU,
        span), multiplied into the unfolded neighbourhoods and summed; stride 1."""

        def __init__(self, c=4, k=3, groups=2, r=2):
            super().__init__()
            self.k, self.g = k, groups
            self.reduce = nn.Conv2d(c, c // r, 1)
            self.bn = nn.BatchNorm2d(c // r)
            self.span = nn.Conv2d(c // r, k * k * groups, 1)

        def forward(self, x):  # x [b, c, h, w]
            b, c, h, w = x.shape
            kern = self.span(F.relu(self.bn(self.reduce(x)))).reshape(b, self.g, 1, self.k * self.k, h, w)
            patches = F.unfold(x, self.k, padding=self.k // 2).reshape(b, self.g, c // self.g, self.k * self.k, h, w)
            return (kern * patches).sum(3).reshape(b, c, h, w)
    torch.manual_seed(127)
    return _distinct(Involution().eval()), (_x(2, 4, 5, 5, seed=1),)


@case("cbam_channel_spatial_attention")
def _cbam():
    class CBAM(nn.Module):
        """Woo et al. (2018): channel attention sigmoid(MLP(avgpool) + MLP(maxpool)), then spatial attention
        sigmoid(conv7x7([mean over channels, max over channels])); a residual conv block around it."""

        def __init__(self, c=6, r=3):
            super().__init__()
            self.conv = nn.Conv2d(c, c, 3, padding=1)
            self.mlp = nn.Sequential(nn.Conv2d(c, c // r, 1), nn.ReLU(), nn.Conv2d(c // r, c, 1))
            self.spatial = nn.Conv2d(2, 1, 7, padding=3)

        def forward(self, x):
            y = self.conv(x)
            y = y * torch.sigmoid(self.mlp(F.adaptive_avg_pool2d(y, 1)) + self.mlp(F.adaptive_max_pool2d(y, 1)))
            s = torch.cat([y.mean(1, keepdim=True), y.amax(1, keepdim=True)], 1)
            return F.relu(x + y * torch.sigmoid(self.spatial(s)))
    torch.manual_seed(128)
    return _distinct(CBAM()), (_x(2, 6, 7, 7, seed=1),)


@case("modern_hopfield_retrieval_updates")
def _hopfield():
    class Hopfield(nn.Module):
        """Ramsauer et al. (2021): stored patterns Y W_k, queries R W_q; xi <- softmax(beta xi K^T) K three
        times (the update rule), then projected values; beta learned through softplus."""

        def __init__(self, d=5, h=6):
            super().__init__()
            self.wq, self.wk, self.wv = nn.Linear(d, h), nn.Linear(d, h), nn.Linear(h, d)
            self.beta = nn.Parameter(torch.tensor(0.8))

        def forward(self, r, y):  # r [b, nq, d] queries, y [b, n, d] stored patterns
            xi, k = self.wq(r), self.wk(y)
            beta = F.softplus(self.beta)
            for _ in range(3):
                xi = torch.softmax(beta * xi @ k.transpose(1, 2), -1) @ k
            return self.wv(xi)
    torch.manual_seed(129)
    return _distinct(Hopfield()), (_x(2, 3, 5, seed=1), _x(2, 7, 5, seed=2))
