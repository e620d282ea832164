"""The held-out kinds of models users bring, built in the tests: a small CNN with batch-norm and
pooling, a transformer encoder block, a PINN MLP (JAX, in test_jax_import)."""
import io

import numpy as np
import torch


class CNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(4)
        self.pool = torch.nn.MaxPool2d(2)
        self.c2 = torch.nn.Conv2d(4, 6, 3, stride=2, groups=2)
        self.fc = torch.nn.Linear(6, 5)

    def forward(self, x):
        x = self.pool(torch.relu(self.bn(self.c1(x))))
        x = torch.nn.functional.avg_pool2d(torch.tanh(self.c2(x)), 2)
        return self.fc(torch.flatten(x, 1))


class EncoderBlock(torch.nn.Module):
    """Pre-norm multi-head self-attention + GELU MLP, written out (what users' models look like)."""

    def __init__(self, d=8, heads=2, hidden=16):
        super().__init__()
        self.h = heads
        self.qkv = torch.nn.Linear(d, 3 * d)
        self.proj = torch.nn.Linear(d, d)
        self.ln1, self.ln2 = torch.nn.LayerNorm(d), torch.nn.LayerNorm(d)
        self.ff1, self.ff2 = torch.nn.Linear(d, hidden), torch.nn.Linear(hidden, d)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)

        def heads(z):
            return z.reshape(b, t, self.h, d // self.h).transpose(1, 2)

        q, k, v = heads(q), heads(k), heads(v)
        a = torch.softmax(q @ k.transpose(-2, -1) / (d // self.h) ** 0.5, dim=-1) @ v
        x = x + self.proj(a.transpose(1, 2).reshape(b, t, d))
        return x + self.ff2(torch.nn.functional.gelu(self.ff1(self.ln2(x))))


def cnn():
    torch.manual_seed(0)
    m = CNN()
    with torch.no_grad():  # non-trivial running statistics, so batch-norm is not the identity
        m.bn.running_mean.uniform_(-0.5, 0.5)
        m.bn.running_var.uniform_(0.5, 2.0)
    return m.eval()


def encoder():
    torch.manual_seed(1)
    m = EncoderBlock()
    with torch.no_grad():  # trained-looking norms (at their ones/zeros init the ONNX exporter shares them)
        for name, p in m.named_parameters():
            if name.startswith("ln"):
                p.add_(0.1 * torch.randn(p.shape))
    return m.eval()


def cnn_input():
    return torch.randn(2, 3, 12, 12, generator=torch.Generator().manual_seed(2))


def encoder_input():
    return torch.randn(2, 5, 8, generator=torch.Generator().manual_seed(3))


def to_onnx(model, x) -> bytes:
    """The TorchScript exporter without constant folding: batch-norm stays a BatchNormalization node."""
    f = io.BytesIO()
    torch.onnx.export(model, (x,), f, dynamo=False, do_constant_folding=False, opset_version=17,
                      input_names=["x"], output_names=["y"])
    return f.getvalue()


def close(got, want, what=""):
    """Float32 precision: relative to the size of the reference (complex: real and imaginary parts)."""
    if np.iscomplexobj(got) or np.iscomplexobj(want):
        got, want = np.asarray(got, np.complex128), np.asarray(want, np.complex128)
        got, want = np.stack([got.real, got.imag], -1), np.stack([want.real, want.imag], -1)
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    scale = max(1.0, float(np.abs(want).max()))
    np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-5 * scale, err_msg=what)
