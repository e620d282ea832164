"""Held-out vision networks for the sweep, written the way users write them: a ResNeXt bottleneck (grouped,
dilated 3x3, strided shortcut), a ResNet stem trained with batch statistics (BatchNorm in train mode), a
DeepLab ASPP head (parallel dilated convs, image pooling, bilinear upsample), a ConvTranspose decoder with
output_padding / groups / dilation, a UNet with bilinear (align_corners) upsampling, an ESPCN pixel-shuffle
super-resolution net, a style-transfer net (reflection pad, instance norm, nearest upsample), a (2+1)D video
conv with BatchNorm3d. Same contract as zoo.py: `name -> () -> (model, inputs)`; tiny shapes."""
import torch
from torch import nn
from torch.nn import functional as F

from .zoo import _x, case
from .zoo_families import _distinct


def _cbr(cin, cout, k=3, **kw):
    return nn.Sequential(nn.Conv2d(cin, cout, k, bias=False, **kw), nn.BatchNorm2d(cout), nn.ReLU())


@case("resnext_bottleneck_grouped_dilated")
def _resnext():
    class Bottleneck(nn.Module):
        def __init__(self, cin=8, width=8, cout=12):
            super().__init__()
            self.reduce = _cbr(cin, width, 1)
            self.group = _cbr(width, width, 3, stride=2, padding=2, dilation=2, groups=4)
            self.expand = nn.Sequential(nn.Conv2d(width, cout, 1, bias=False), nn.BatchNorm2d(cout))
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=2, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):  # [2, 8, 7, 7]
            return F.relu(self.expand(self.group(self.reduce(x))) + self.short(x))
    torch.manual_seed(70)
    return _distinct(Bottleneck()), (_x(2, 8, 7, 7),)


@case("resnet_stem_batchnorm_train_mode")
def _bn_train():
    class Net(nn.Module):  # a fine-tuning step: batch statistics, not the running ones
        def __init__(self):
            super().__init__()
            self.stem = _cbr(3, 6, 3, stride=2, padding=1)
            self.pool = nn.MaxPool2d(3, 2, 1)
            self.block = nn.Sequential(_cbr(6, 6, 3, padding=1), nn.Conv2d(6, 6, 3, padding=1), nn.BatchNorm2d(6))
            self.head = nn.Linear(6, 4)

        def forward(self, x):  # [4, 3, 10, 10]
            h = self.pool(self.stem(x))
            h = F.relu(h + self.block(h))
            return self.head(F.adaptive_avg_pool2d(h, 1).flatten(1))
    torch.manual_seed(71)
    return _distinct(Net()).train(), (_x(4, 3, 10, 10),)


@case("deeplab_aspp_dilated_image_pool")
def _aspp():
    class ASPP(nn.Module):
        def __init__(self, c=6, o=4):
            super().__init__()
            self.branches = nn.ModuleList([_cbr(c, o, 1)] + [_cbr(c, o, 3, padding=r, dilation=r) for r in (2, 3)])
            self.image = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(c, o, 1), nn.ReLU())
            self.project = _cbr(4 * o, o, 1)
            self.dw = nn.Conv2d(o, o, 3, padding=1, groups=o)  # depthwise refinement

        def forward(self, x):  # [2, 6, 9, 9]
            size = x.shape[-2:]
            feats = [b(x) for b in self.branches]
            feats.append(F.interpolate(self.image(x), size=size, mode="bilinear", align_corners=False))
            return self.dw(self.project(torch.cat(feats, 1)))
    torch.manual_seed(72)
    return _distinct(ASPP()), (_x(2, 6, 9, 9),)


@case("conv_transpose_decoder_output_padding_groups")
def _deconv():
    class Decoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(5, 4 * 3 * 3)
            self.up1 = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)
            self.bn = nn.BatchNorm2d(6)
            self.up2 = nn.ConvTranspose2d(6, 3, 3, stride=2, padding=2, dilation=2, output_padding=1)
            self.up3 = nn.ConvTranspose2d(3, 2, (2, 3), stride=(1, 2), padding=(0, 1), bias=False)

        def forward(self, z):  # [2, 5]
            h = self.fc(z).view(-1, 4, 3, 3)
            h = F.leaky_relu(self.bn(self.up1(h)), 0.2)
            return torch.sigmoid(self.up3(F.leaky_relu(self.up2(h), 0.2)))
    torch.manual_seed(73)
    return _distinct(Decoder()), (_x(2, 5),)


@case("unet_bilinear_align_corners_skips")
def _unet():
    class UNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.e1, self.e2 = _cbr(2, 4, 3, padding=1), _cbr(4, 8, 3, padding=1)
            self.mid = _cbr(8, 8, 3, padding=1)
            self.d2, self.d1 = _cbr(16, 4, 3, padding=1), _cbr(8, 4, 3, padding=1)
            self.out = nn.Conv2d(4, 1, 1)

        def forward(self, x):  # [2, 2, 8, 8]
            s1 = self.e1(x)
            s2 = self.e2(F.max_pool2d(s1, 2))
            m = self.mid(F.max_pool2d(s2, 2))
            up = lambda t: F.interpolate(t, scale_factor=2, mode="bilinear", align_corners=True)  # noqa: E731
            h = self.d2(torch.cat([up(m), s2], 1))
            h = self.d1(torch.cat([up(h), s1], 1))
            return self.out(h)
    torch.manual_seed(74)
    return _distinct(UNet()), (_x(2, 2, 8, 8),)


@case("espcn_pixel_shuffle_superres")
def _espcn():
    class ESPCN(nn.Module):
        def __init__(self, r=2):
            super().__init__()
            self.c1, self.c2 = nn.Conv2d(1, 8, 5, padding=2), nn.Conv2d(8, 4, 3, padding=1)
            self.c3 = nn.Conv2d(4, r * r, 3, padding=1)
            self.shuffle = nn.PixelShuffle(r)

        def forward(self, x):  # [2, 1, 5, 6]
            h = torch.tanh(self.c2(torch.tanh(self.c1(x))))
            base = F.interpolate(x, scale_factor=2, mode="nearest")
            return self.shuffle(self.c3(h)) + base
    torch.manual_seed(75)
    return _distinct(ESPCN()), (_x(2, 1, 5, 6),)


@case("style_transfer_reflect_instance_norm")
def _style():
    class Res(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.body = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), nn.InstanceNorm2d(c, affine=True),
                                      nn.ReLU(), nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3),
                                      nn.InstanceNorm2d(c, affine=True))

        def forward(self, x):
            return x + self.body(x)

    class Transformer(nn.Module):
        def __init__(self):
            super().__init__()
            self.down = nn.Sequential(nn.ReflectionPad2d(2), nn.Conv2d(3, 6, 5), nn.InstanceNorm2d(6, affine=True),
                                      nn.ReLU(), nn.Conv2d(6, 8, 3, stride=2, padding=1), nn.ReLU())
            self.res = Res(8)
            self.up = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.ReflectionPad2d(1),
                                    nn.Conv2d(8, 3, 3))

        def forward(self, x):  # [2, 3, 8, 8]
            return torch.tanh(self.up(self.res(self.down(x)))) * 0.5 + 0.5
    torch.manual_seed(76)
    return _distinct(Transformer()), (_x(2, 3, 8, 8),)


@case("r2plus1d_video_batchnorm3d")
def _r21d():
    class R21D(nn.Module):
        def __init__(self):
            super().__init__()
            self.spatial = nn.Conv3d(3, 6, (1, 3, 3), padding=(0, 1, 1), bias=False)
            self.bn1 = nn.BatchNorm3d(6)
            self.temporal = nn.Conv3d(6, 6, (3, 1, 1), padding=(1, 0, 0), bias=False)
            self.bn2 = nn.BatchNorm3d(6)
            self.pool = nn.AvgPool3d((1, 2, 2))
            self.head = nn.Linear(6, 3)

        def forward(self, x):  # [2, 3, 4, 6, 6]: batch, channels, frames, height, width
            h = F.relu(self.bn1(self.spatial(x)))
            h = F.relu(self.bn2(self.temporal(h)) + h)
            return self.head(self.pool(h).mean((2, 3, 4)))
    torch.manual_seed(77)
    return _distinct(R21D()), (_x(2, 3, 4, 6, 6),)
