import numpy as np, mindspore as ms, json, sys
from mindspore import nn, ops, Tensor
from mindspore.train import mind_ir_pb2 as pb
ms.set_seed(3)
mode = sys.argv[1] if len(sys.argv) > 1 else "pynative"
ms.set_context(mode=ms.GRAPH_MODE if mode == "graph" else ms.PYNATIVE_MODE)
rng = np.random.default_rng(0)
def T(*s): return Tensor(rng.standard_normal(s).astype(np.float32))
class MLP(nn.Cell):
    def __init__(self):
        super().__init__(); self.a = nn.Dense(4, 8, activation='tanh'); self.b = nn.Dense(8, 2)
    def construct(self, x): return self.b(self.a(x))
class LeNet(nn.Cell):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 4, 3, pad_mode='valid'); self.p = nn.MaxPool2d(2, 2); self.c2 = nn.Conv2d(4, 6, 3, pad_mode='same')
        self.f = nn.Flatten(); self.d = nn.Dense(6*2*2, 5); self.r = nn.ReLU()
    def construct(self, x): return self.d(self.f(self.p(self.r(self.c2(self.p(self.r(self.c1(x))))))))
class BN(nn.Cell):
    def __init__(self):
        super().__init__(); self.c = nn.Conv2d(2, 3, 3, has_bias=True, pad_mode='pad', padding=1); self.bn = nn.BatchNorm2d(3); self.ap = nn.AvgPool2d(2, 2)
    def construct(self, x): return self.ap(ops.sigmoid(self.bn(self.c(x))))
class LN(nn.Cell):
    def __init__(self):
        super().__init__(); self.ln = nn.LayerNorm((6,)); self.d = nn.Dense(6, 6)
    def construct(self, x): return ops.softmax(self.d(self.ln(x)), -1) + ops.log_softmax(x, 1)
class Attn(nn.Cell):
    def __init__(self):
        super().__init__(); self.q = nn.Dense(8, 8); self.k = nn.Dense(8, 8); self.v = nn.Dense(8, 8)
    def construct(self, x):
        q, k, v = self.q(x), self.k(x), self.v(x)
        a = ops.softmax(ops.matmul(q, k.swapaxes(-1, -2)) / 8 ** 0.5, -1)
        return ops.gelu(ops.matmul(a, v)).mean(-1)
class Emb(nn.Cell):
    def __init__(self):
        super().__init__(); self.e = nn.Embedding(10, 4); self.d = nn.Dense(4, 1)
    def construct(self, i, x): return self.d(self.e(i)).squeeze(-1) * x
class Misc(nn.Cell):
    def __init__(self):
        super().__init__(); self.w = ms.Parameter(T(3, 4), name='w')
    def construct(self, x, y):
        z = ops.concat((x * self.w, ops.exp(y) - ops.log(ops.abs(y) + 1)), 0)
        a, b, c = ops.split(z, 2, 0)
        return ops.sqrt(ops.pow(a, 2) + 1).sum() + ops.reduce_mean(b, 0) * ops.tanh(y[0]) + ops.maximum(x, y).max()
class Drop(nn.Cell):
    def __init__(self):
        super().__init__(); self.d = nn.Dropout(p=0.5); self.fc = nn.Dense(5, 3)
    def construct(self, x): return ops.transpose(self.d(self.fc(x)), (1, 0)).reshape(-1) ** 2
nets = {
 'mlp': (MLP, lambda: (T(2, 4),)),
 'lenet': (LeNet, lambda: (T(2, 1, 12, 12),)),
 'bn': (BN, lambda: (T(2, 2, 6, 6),)),
 'ln': (LN, lambda: (T(3, 6),)),
 'attn': (Attn, lambda: (T(2, 5, 8),)),
 'emb': (Emb, lambda: (Tensor(np.array([[1, 2, 9], [0, 3, 3]], np.int32)), T(2, 3))),
 'misc': (Misc, lambda: (T(3, 4), T(3, 4))),
 'drop': (Drop, lambda: (T(4, 5),)),
}
out = {}
for name, (cls, mk) in nets.items():
    net = cls(); net.set_train(False)
    xs = mk()
    y = net(*xs)
    fn = f'{name}_{mode}'
    ms.export(net, *xs, file_name=fn, file_format='MINDIR')
    m = pb.ModelProto(); m.ParseFromString(open(fn + '.mindir', 'rb').read())
    kinds = sorted({(p.op_type, p.prim_type) for p in m.primitives})
    gw = ms.grad(net, grad_position=0, weights=net.trainable_params())(*xs)
    out[name] = {'kinds': kinds, 'y': y.asnumpy().tolist(), 'inputs': [x.asnumpy().tolist() for x in xs],
                 'gx': gw[0].asnumpy().tolist() if not isinstance(gw[0], tuple) else None,
                 'gw': {p.name: g.asnumpy().tolist() for p, g in zip(net.trainable_params(), gw[1])}}
    print(name, kinds)
json.dump(out, open(f'expected_{mode}.json', 'w'))
