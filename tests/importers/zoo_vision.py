"""Held-out vision models for the sweep (round 6, by topic): ConvNeXt and EfficientNet blocks (depthwise
conv, channels-last LayerNorm, layer scale, squeeze-excite), Swin's shifted-window attention (roll,
window partition, relative position bias), a UNet stage with ConvTranspose and a skip concat, a DenseNet
block, an FPN top-down path, an FNO spectral layer (rfft / irfft). Same contract as zoo.py:
`name -> () -> (model in eval mode, inputs)`; tiny shapes."""
import torch
from torch import nn
from torch.nn import functional as F

from .zoo import _trained, _x, case
from .zoo_families import _distinct


@case("convnext_block_layer_scale")
def _convnext():
    class Block(nn.Module):
        def __init__(self, c=8):
            super().__init__()
            self.dw = nn.Conv2d(c, c, 7, padding=3, groups=c)
            self.norm = nn.LayerNorm(c, eps=1e-6)
            self.pw1, self.pw2 = nn.Linear(c, 4 * c), nn.Linear(4 * c, c)
            self.gamma = nn.Parameter(torch.full((c,), 0.5))

        def forward(self, x):  # [2, 8, 6, 6]
            h = self.dw(x).permute(0, 2, 3, 1)
            h = self.pw2(F.gelu(self.pw1(self.norm(h)))) * self.gamma
            return x + h.permute(0, 3, 1, 2)
    torch.manual_seed(60)
    return _distinct(Block()), (_x(2, 8, 6, 6),)


@case("efficientnet_mbconv_swish_se_stride")
def _mbconv():
    class MBConv(nn.Module):
        def __init__(self):
            super().__init__()
            self.expand = nn.Sequential(nn.Conv2d(4, 16, 1, bias=False), nn.BatchNorm2d(16), nn.SiLU())
            self.dw = nn.Sequential(nn.Conv2d(16, 16, 5, stride=2, padding=2, groups=16, bias=False),
                                    nn.BatchNorm2d(16), nn.SiLU())
            self.se1, self.se2 = nn.Conv2d(16, 4, 1), nn.Conv2d(4, 16, 1)
            self.project = nn.Sequential(nn.Conv2d(16, 6, 1, bias=False), nn.BatchNorm2d(6))

        def forward(self, x):  # [2, 4, 9, 9]
            h = self.dw(self.expand(x))
            s = torch.sigmoid(self.se2(F.silu(self.se1(F.adaptive_avg_pool2d(h, 1)))))
            return self.project(h * s)
    torch.manual_seed(61)
    return _trained(MBConv(), 61), (_x(2, 4, 9, 9),)


@case("swin_shifted_window_attention")
def _swin():
    class SwinBlock(nn.Module):
        """Window 2x2 over a 4x4 map, shift 1, 2 heads, learned relative position bias (a table gathered
        by a constant index), the shifted windows' mask added to the scores."""

        def __init__(self, c=6, heads=2, ws=2):
            super().__init__()
            self.c, self.heads, self.ws = c, heads, ws
            self.norm = nn.LayerNorm(c)
            self.qkv, self.proj = nn.Linear(c, 3 * c), nn.Linear(c, c)
            self.bias_table = nn.Parameter(torch.randn((2 * ws - 1) ** 2, heads) * 0.1)
            coords = torch.stack(torch.meshgrid(torch.arange(ws), torch.arange(ws), indexing="ij")).flatten(1)
            rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (ws - 1)
            self.register_buffer("rel_index", rel[..., 0] * (2 * ws - 1) + rel[..., 1], persistent=False)
            img = torch.zeros(4, 4)
            for k, (hs, wsl) in enumerate([(slice(0, 2), slice(0, 2)), (slice(0, 2), slice(2, 3)),
                                           (slice(0, 2), slice(3, 4)), (slice(2, 3), slice(0, 4)),
                                           (slice(3, 4), slice(0, 4))]):
                img[hs, wsl] = k
            win = img.view(2, ws, 2, ws).permute(0, 2, 1, 3).reshape(4, ws * ws)
            self.register_buffer("mask", (win[:, None, :] != win[:, :, None]).float() * -100.0, persistent=False)

        def forward(self, x):  # [2, 4, 4, 6] channels last
            b, hgt, wid, c = x.shape
            ws, nh = self.ws, self.heads
            h = torch.roll(self.norm(x), shifts=(-1, -1), dims=(1, 2))
            win = h.view(b, hgt // ws, ws, wid // ws, ws, c).permute(0, 1, 3, 2, 4, 5).reshape(-1, ws * ws, c)
            q, k, v = self.qkv(win).reshape(-1, ws * ws, 3, nh, c // nh).permute(2, 0, 3, 1, 4)
            s = (q @ k.transpose(-2, -1)) * (c // nh) ** -0.5
            s = s + self.bias_table[self.rel_index.reshape(-1)].view(ws * ws, ws * ws, nh).permute(2, 0, 1)
            s = s.view(b, 4, nh, ws * ws, ws * ws) + self.mask[None, :, None]
            a = torch.softmax(s.view(-1, nh, ws * ws, ws * ws), -1) @ v
            o = self.proj(a.transpose(1, 2).reshape(-1, ws * ws, c))
            o = o.view(b, hgt // ws, wid // ws, ws, ws, c).permute(0, 1, 3, 2, 4, 5).reshape(b, hgt, wid, c)
            return x + torch.roll(o, shifts=(1, 1), dims=(1, 2))
    torch.manual_seed(62)
    return _distinct(SwinBlock()), (_x(2, 4, 4, 6),)


@case("unet_stage_convtranspose_skip_concat")
def _unet_stage():
    class Stage(nn.Module):
        def __init__(self):
            super().__init__()
            self.down = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2))
            self.mid = nn.Sequential(nn.Conv2d(6, 8, 3, padding=1), nn.ReLU())
            self.up = nn.ConvTranspose2d(8, 6, 2, stride=2)
            self.fuse = nn.Sequential(nn.Conv2d(6 + 3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.LeakyReLU(0.1))
            self.head = nn.Conv2d(4, 2, 1)

        def forward(self, x):  # [2, 3, 8, 8]
            u = self.up(self.mid(self.down(x)))
            return self.head(self.fuse(torch.cat([u, x], dim=1)))
    torch.manual_seed(63)
    return _trained(Stage(), 63), (_x(2, 3, 8, 8),)


@case("densenet_dense_block_transition")
def _dense():
    class Dense(nn.Module):
        def __init__(self, c0=4, growth=3, n=3):
            super().__init__()
            self.layers = nn.ModuleList(
                nn.Sequential(nn.BatchNorm2d(c0 + i * growth), nn.ReLU(), nn.Conv2d(c0 + i * growth, growth, 3, padding=1))
                for i in range(n))
            self.trans = nn.Sequential(nn.BatchNorm2d(c0 + n * growth), nn.Conv2d(c0 + n * growth, 5, 1),
                                       nn.AvgPool2d(2))

        def forward(self, x):  # [2, 4, 6, 6]
            feats = [x]
            for layer in self.layers:
                feats.append(layer(torch.cat(feats, 1)))
            return self.trans(torch.cat(feats, 1))
    torch.manual_seed(64)
    return _trained(Dense(), 64), (_x(2, 4, 6, 6),)


@case("fpn_top_down_nearest_lateral")
def _fpn():
    class FPN(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = nn.Conv2d(3, 4, 3, stride=2, padding=1)
            self.c2 = nn.Conv2d(4, 8, 3, stride=2, padding=1)
            self.lat1, self.lat2 = nn.Conv2d(4, 6, 1), nn.Conv2d(8, 6, 1)
            self.smooth = nn.Conv2d(6, 6, 3, padding=1)

        def forward(self, x):  # [2, 3, 8, 8]
            f1 = F.relu(self.c1(x))
            f2 = F.relu(self.c2(f1))
            p2 = self.lat2(f2)
            p1 = self.smooth(self.lat1(f1) + F.interpolate(p2, scale_factor=2, mode="nearest"))
            return p1, p2
    torch.manual_seed(65)
    return FPN().eval(), (_x(2, 3, 8, 8),)


@case("fno_spectral_conv_rfft")
def _fno():
    class Spectral(nn.Module):
        """One Fourier layer: rfft over the grid, the lowest 3 modes mixed by complex weights (kept as real
        and imaginary parts), irfft back, plus a pointwise linear path."""

        def __init__(self, c=3, modes=3):
            super().__init__()
            self.modes = modes
            self.wr = nn.Parameter(torch.randn(c, c, modes) * 0.3)
            self.wi = nn.Parameter(torch.randn(c, c, modes) * 0.3)
            self.pw = nn.Conv1d(c, c, 1)

        def forward(self, x):  # [2, 3, 8]
            xf = torch.fft.rfft(x)[..., :self.modes]
            w = torch.complex(self.wr, self.wi)
            yf = torch.einsum("bim,iom->bom", xf, w)
            y = torch.fft.irfft(F.pad(yf, (0, x.shape[-1] // 2 + 1 - self.modes)), n=x.shape[-1])
            return F.gelu(y + self.pw(x))
    torch.manual_seed(66)
    return Spectral().eval(), (_x(2, 3, 8),)
