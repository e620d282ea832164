"""Held-out vision and generative models for the sweep (round 7, by topic), written as users write them:
a diffusion UNet (sinusoidal timestep embedding, GroupNorm, SiLU, mid-block self-attention), ConvNeXt V2
(global response normalisation), MobileNetV3 (hardswish, hard-sigmoid squeeze-excite), a ViT whose position
embeddings are bicubically interpolated to a new grid behind a class token, a Swin V2 block (cosine
attention with a clamped logit scale, log-spaced continuous position bias MLP), a NeRF MLP with positional
encoding and volume rendering (exclusive cumprod). Same contract as zoo.py: `name -> () -> (model in eval
mode, inputs)`; tiny shapes."""
import math

import torch
from torch import nn
from torch.nn import functional as F

from .zoo import _x, case
from .zoo_families import _distinct


def timestep_embedding(t, dim, max_period=10000.0):
    """The DDPM / guided-diffusion sinusoidal embedding of (float) timesteps t: [b] -> [b, dim]."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    args = t[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


@case("diffusion_unet_timestep_groupnorm_attention")
def _diffusion_unet():
    class ResBlock(nn.Module):
        def __init__(self, cin, cout, tdim):
            super().__init__()
            self.n1, self.c1 = nn.GroupNorm(2, cin), nn.Conv2d(cin, cout, 3, padding=1)
            self.t = nn.Linear(tdim, cout)
            self.n2, self.c2 = nn.GroupNorm(2, cout), nn.Conv2d(cout, cout, 3, padding=1)
            self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

        def forward(self, x, temb):
            h = self.c1(F.silu(self.n1(x)))
            h = h + self.t(F.silu(temb))[:, :, None, None]
            h = self.c2(F.silu(self.n2(h)))
            return self.skip(x) + h

    class Attn(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.norm, self.qkv, self.out = nn.GroupNorm(2, c), nn.Conv2d(c, 3 * c, 1), nn.Conv2d(c, c, 1)

        def forward(self, x):
            b, c, h, w = x.shape
            q, k, v = self.qkv(self.norm(x)).reshape(b, 3, c, h * w).unbind(1)
            a = torch.softmax(torch.einsum("bci,bcj->bij", q, k) / math.sqrt(c), dim=-1)
            return x + self.out(torch.einsum("bij,bcj->bci", a, v).reshape(b, c, h, w))

    class UNet(nn.Module):
        def __init__(self, c=4, tdim=8):
            super().__init__()
            self.tdim = tdim
            self.temb = nn.Sequential(nn.Linear(tdim, 2 * tdim), nn.SiLU(), nn.Linear(2 * tdim, tdim))
            self.inc = nn.Conv2d(2, c, 3, padding=1)
            self.down1 = ResBlock(c, c, tdim)
            self.ds = nn.Conv2d(c, c, 3, stride=2, padding=1)
            self.down2 = ResBlock(c, 2 * c, tdim)
            self.mid = Attn(2 * c)
            self.up1 = ResBlock(3 * c, c, tdim)
            self.outn, self.outc = nn.GroupNorm(2, c), nn.Conv2d(c, 2, 3, padding=1)

        def forward(self, x, t):  # x [2, 2, 8, 8], t [2] (float timesteps)
            temb = self.temb(timestep_embedding(t, self.tdim))
            h1 = self.down1(self.inc(x), temb)
            h2 = self.mid(self.down2(self.ds(h1), temb))
            u = F.interpolate(h2, scale_factor=2.0, mode="nearest")
            h = self.up1(torch.cat([u, h1], dim=1), temb)
            return self.outc(F.silu(self.outn(h)))
    torch.manual_seed(70)
    return _distinct(UNet(), 70), (_x(2, 2, 8, 8), torch.tensor([3.0, 417.0]))


@case("convnext_v2_global_response_norm")
def _convnext_v2():
    class GRN(nn.Module):
        """ConvNeXt V2's global response normalisation, channels last."""

        def __init__(self, c):
            super().__init__()
            self.gamma, self.beta = nn.Parameter(torch.zeros(1, 1, 1, c)), nn.Parameter(torch.zeros(1, 1, 1, c))

        def forward(self, x):
            gx = torch.norm(x, p=2, dim=(1, 2), keepdim=True)
            nx = gx / (gx.mean(dim=-1, keepdim=True) + 1e-6)
            return self.gamma * (x * nx) + self.beta + x

    class Block(nn.Module):
        def __init__(self, c=6):
            super().__init__()
            self.dw = nn.Conv2d(c, c, 7, padding=3, groups=c)
            self.norm = nn.LayerNorm(c, eps=1e-6)
            self.pw1, self.grn, self.pw2 = nn.Linear(c, 4 * c), GRN(4 * c), nn.Linear(4 * c, c)

        def forward(self, x):  # [2, 6, 5, 5]
            h = self.norm(self.dw(x).permute(0, 2, 3, 1))
            h = self.pw2(self.grn(F.gelu(self.pw1(h))))
            return x + h.permute(0, 3, 1, 2)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.b1, self.b2 = Block(), Block()
            self.head_norm, self.head = nn.LayerNorm(6), nn.Linear(6, 3)

        def forward(self, x):
            h = self.b2(self.b1(x))
            return self.head(self.head_norm(h.mean(dim=(-2, -1))))
    torch.manual_seed(71)
    return _distinct(Net(), 71), (_x(2, 6, 5, 5),)


def _make_divisible(v, divisor=4):
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


@case("mobilenet_v3_hardswish_hard_sigmoid_se")
def _mobilenet_v3():
    class SE(nn.Module):
        def __init__(self, c):
            super().__init__()
            sq = _make_divisible(c // 4)
            self.fc1, self.fc2 = nn.Conv2d(c, sq, 1), nn.Conv2d(sq, c, 1)

        def forward(self, x):
            s = F.adaptive_avg_pool2d(x, 1)
            return x * F.hardsigmoid(self.fc2(F.relu(self.fc1(s))))

    class InvertedResidual(nn.Module):
        def __init__(self, cin, exp, cout, k, stride, se, act):
            super().__init__()
            self.use_res = stride == 1 and cin == cout
            layers = [nn.Conv2d(cin, exp, 1, bias=False), nn.BatchNorm2d(exp), act(),
                      nn.Conv2d(exp, exp, k, stride, (k - 1) // 2, groups=exp, bias=False), nn.BatchNorm2d(exp), act()]
            if se:
                layers.append(SE(exp))
            layers += [nn.Conv2d(exp, cout, 1, bias=False), nn.BatchNorm2d(cout)]
            self.block = nn.Sequential(*layers)

        def forward(self, x):
            y = self.block(x)
            return x + y if self.use_res else y

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.Hardswish())
            self.blocks = nn.Sequential(InvertedResidual(8, 16, 8, 3, 1, True, nn.ReLU),
                                        InvertedResidual(8, 24, 12, 5, 2, True, nn.Hardswish),
                                        InvertedResidual(12, 24, 12, 3, 1, False, nn.Hardswish))
            self.head = nn.Sequential(nn.Linear(12, 16), nn.Hardswish(), nn.Dropout(0.2), nn.Linear(16, 5))

        def forward(self, x):  # [2, 3, 16, 16]
            h = self.blocks(self.stem(x))
            return self.head(torch.flatten(F.adaptive_avg_pool2d(h, 1), 1))
    torch.manual_seed(72)
    return _distinct(Net(), 72), (_x(2, 3, 16, 16),)


@case("vit_cls_token_interpolated_pos_embed")
def _vit_interp():
    class ViT(nn.Module):
        """Trained at a 4x4 patch grid, run at 3x3: the grid part of the position embeddings is bicubically
        resized (timm's resample_abs_pos_embed), the class token's kept; mean of heads' attention via MHA."""

        def __init__(self, d=8, p=2, grid=4):
            super().__init__()
            self.p, self.grid = p, grid
            self.patch = nn.Conv2d(3, d, p, stride=p)
            self.cls = nn.Parameter(torch.randn(1, 1, d) * 0.1)
            self.pos = nn.Parameter(torch.randn(1, 1 + grid * grid, d) * 0.1)
            self.block = nn.TransformerEncoderLayer(d, 2, 16, dropout=0.0, activation="gelu", batch_first=True,
                                                    norm_first=True)
            self.norm, self.head = nn.LayerNorm(d), nn.Linear(d, 4)

        def forward(self, x):  # [2, 3, 6, 6] -> a 3x3 grid
            b = x.shape[0]
            h = self.patch(x)
            gh, gw = h.shape[-2:]
            tokens = h.flatten(2).transpose(1, 2)
            cls_pos, grid_pos = self.pos[:, :1], self.pos[:, 1:]
            d = grid_pos.shape[-1]
            grid_pos = grid_pos.reshape(1, self.grid, self.grid, d).permute(0, 3, 1, 2)
            grid_pos = F.interpolate(grid_pos, size=(gh, gw), mode="bicubic", align_corners=False)
            pos = torch.cat([cls_pos, grid_pos.permute(0, 2, 3, 1).reshape(1, gh * gw, d)], dim=1)
            z = torch.cat([self.cls.expand(b, -1, -1), tokens], dim=1) + pos
            z = self.norm(self.block(z))
            return self.head(z[:, 0])
    torch.manual_seed(73)
    return _distinct(ViT(), 73), (_x(2, 3, 6, 6),)


@case("swin_v2_cosine_attention_log_cpb")
def _swin_v2():
    class WindowAttentionV2(nn.Module):
        """Swin V2: cosine attention scaled by exp(clamp(logit_scale, max=log 100)), a continuous position
        bias from an MLP over log-spaced relative coordinates (16 * sigmoid), post-norm residual."""

        def __init__(self, c=6, heads=2, ws=2):
            super().__init__()
            self.heads, self.ws = heads, ws
            self.logit_scale = nn.Parameter(torch.log(10 * torch.ones(heads, 1, 1)))
            self.cpb = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, heads, bias=False))
            r = torch.arange(-(ws - 1), ws, dtype=torch.float32)
            table = torch.stack(torch.meshgrid(r, r, indexing="ij")).permute(1, 2, 0)[None] / (ws - 1) * 8
            table = torch.sign(table) * torch.log2(table.abs() + 1.0) / math.log2(8)
            self.register_buffer("table", table, persistent=False)
            coords = torch.stack(torch.meshgrid(torch.arange(ws), torch.arange(ws), indexing="ij")).flatten(1)
            rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (ws - 1)
            self.register_buffer("rel_index", rel[..., 0] * (2 * ws - 1) + rel[..., 1], persistent=False)
            self.qkv, self.proj = nn.Linear(c, 3 * c), nn.Linear(c, c)
            self.norm = nn.LayerNorm(c)

        def forward(self, x):  # [2, 4, 4, 6]
            b, hgt, wid, c = x.shape
            ws, nh = self.ws, self.heads
            win = x.view(b, hgt // ws, ws, wid // ws, ws, c).permute(0, 1, 3, 2, 4, 5).reshape(-1, ws * ws, c)
            q, k, v = self.qkv(win).reshape(-1, ws * ws, 3, nh, c // nh).permute(2, 0, 3, 1, 4)
            attn = F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1)
            attn = attn * torch.clamp(self.logit_scale, max=math.log(100.0)).exp()
            bias = self.cpb(self.table).view(-1, nh)[self.rel_index.view(-1)].view(ws * ws, ws * ws, nh)
            attn = attn + 16 * torch.sigmoid(bias.permute(2, 0, 1))[None]
            o = (attn.softmax(-1) @ v).transpose(1, 2).reshape(-1, ws * ws, c)
            o = self.proj(o).view(b, hgt // ws, wid // ws, ws, ws, c).permute(0, 1, 3, 2, 4, 5).reshape(b, hgt, wid, c)
            return x + self.norm(o)
    torch.manual_seed(74)
    return _distinct(WindowAttentionV2(), 74), (_x(2, 4, 4, 6),)


@case("nerf_positional_encoding_volume_rendering")
def _nerf():
    class NeRF(nn.Module):
        """Positional encoding sin / cos(2^k pi x), a skip connection, density by softplus, colour by sigmoid
        with the view direction, alpha compositing along each ray (transmittance = exclusive cumprod)."""

        def __init__(self, lx=4, ld=2, w=16):
            super().__init__()
            self.lx, self.ld = lx, ld
            px, pd = 3 + 6 * lx, 3 + 6 * ld
            self.l1, self.l2 = nn.Linear(px, w), nn.Linear(w, w)
            self.l3 = nn.Linear(w + px, w)
            self.sigma, self.feat = nn.Linear(w, 1), nn.Linear(w, w)
            self.rgb1, self.rgb2 = nn.Linear(w + pd, w // 2), nn.Linear(w // 2, 3)

        @staticmethod
        def encode(x, levels):
            freqs = (2.0 ** torch.arange(levels, dtype=torch.float32)) * math.pi
            xf = x[..., None, :] * freqs[:, None]
            return torch.cat([x, torch.sin(xf).flatten(-2), torch.cos(xf).flatten(-2)], dim=-1)

        def forward(self, origins, dirs):  # [3 rays, 3] each
            t = torch.linspace(0.5, 2.0, 6)
            pts = origins[:, None, :] + dirs[:, None, :] * t[None, :, None]  # [3, 6, 3]
            ex = self.encode(pts, self.lx)
            h = F.relu(self.l2(F.relu(self.l1(ex))))
            h = F.relu(self.l3(torch.cat([h, ex], dim=-1)))
            sigma = F.softplus(self.sigma(h)[..., 0])
            d = dirs / dirs.norm(dim=-1, keepdim=True)
            ed = self.encode(d, self.ld)[:, None, :].expand(-1, pts.shape[1], -1)
            rgb = torch.sigmoid(self.rgb2(F.relu(self.rgb1(torch.cat([self.feat(h), ed], dim=-1)))))
            delta = torch.cat([t[1:] - t[:-1], torch.tensor([1e3])])[None] * d.new_ones(pts.shape[0], 1)
            alpha = 1 - torch.exp(-sigma * delta * dirs.norm(dim=-1, keepdim=True))
            trans = torch.cumprod(torch.cat([torch.ones_like(alpha[:, :1]), 1 - alpha + 1e-10], dim=-1), dim=-1)
            weights = alpha * trans[:, :-1]
            return (weights[..., None] * rgb).sum(dim=1), (weights * t).sum(dim=-1)
    torch.manual_seed(75)
    return _distinct(NeRF(), 75), (_x(3, 3, scale=0.3), _x(3, 3, seed=1))

