"""MindSpore 2.10 (CPU): Cells with control flow on Tensors (if / else, while, for with break, nested if in a loop,
a sub-Cell called twice, nested sub-Cells with branches), exported to MINDIR: MindSpore writes the branches and loop
bodies as sub-graphs (`functions`: Switch, Partial, calls of graph values, free variables as graph inputs). Each with
MindSpore's output and its gradients (of the output's sum, w.r.t. the float inputs and every trainable parameter)
computed by MindSpore. Run: python control.py OUTDIR (writes OUTDIR/*.mindir and ../mindir_ms210_control.npz).
Top-level classes: MindSpore parses their source."""
import json, os, sys
import numpy as np, mindspore as ms
from mindspore import nn, ops, Tensor, Parameter
ms.set_context(mode=ms.PYNATIVE_MODE)
ms.set_seed(7)
rng = np.random.default_rng(4)
def T(*s): return Tensor(rng.standard_normal(s).astype(np.float32))
def W(name, *s): return Parameter(T(*s), name=name)


class IfElse(nn.Cell):  # if / else on a Tensor condition
    def __init__(self):
        super().__init__(); self.w = W('w', 3, 4)
    def construct(self, x):
        if x.sum() > 0:
            y = x * self.w
        else:
            y = ops.sin(x) - self.w
        return y * 2


class IfNoElse(nn.Cell):  # if without else, a value reassigned
    def construct(self, x, y):
        z = x + y
        if (x * y).mean() < 0.5:
            z = z * ops.exp(x)
        return z.sum(0)


class IfElif(nn.Cell):
    def construct(self, x):
        s = x.max()
        if s > 2:
            out = x * 3
        elif s > 0:
            out = ops.tanh(x)
        else:
            out = x ** 2
        return out


class WhileTensor(nn.Cell):  # while with a Tensor bound
    def __init__(self):
        super().__init__(); self.w = W('w', 4, 4)
    def construct(self, x, n):
        i = Tensor(0, ms.int32)
        while i < n:
            x = ops.tanh(ops.matmul(x, self.w))
            i = i + 1
        return x


class WhileValue(nn.Cell):  # while on a value's condition
    def construct(self, x):
        while x.sum() < 10:
            x = x * 1.5 + 1
        return x


class ForBreak(nn.Cell):  # for over range with a break on a Tensor
    def __init__(self):
        super().__init__(); self.w = W('w', 3)
    def construct(self, x):
        for _ in range(6):
            x = x + self.w * x
            if x.sum() > 4:
                break
        return x


class ForNestedIf(nn.Cell):  # nested if in a loop
    def construct(self, x, y):
        acc = x * 0
        for i in range(4):
            if (x * i).sum() > y.sum():
                acc = acc + ops.sin(x * i)
            else:
                acc = acc - y * i
        return acc


class WhileNestedIf(nn.Cell):
    def __init__(self):
        super().__init__(); self.w = W('w', 3)
    def construct(self, x, n):
        i = Tensor(0, ms.int32)
        while i < n:
            if x.mean() > 0:
                x = x - self.w
            else:
                x = x * self.w + 1
            i = i + 1
        return x


class Sub(nn.Cell):
    def __init__(self):
        super().__init__(); self.d = nn.Dense(4, 4)
    def construct(self, x):
        return ops.relu(self.d(x))


class TwiceSub(nn.Cell):  # a sub-Cell called twice
    def __init__(self):
        super().__init__(); self.s = Sub()
    def construct(self, x):
        return self.s(self.s(x)) + self.s(x * 2)


class BranchSub(nn.Cell):
    def __init__(self):
        super().__init__(); self.d = nn.Dense(4, 4)
    def construct(self, x):
        if x.sum() > 0:
            return self.d(x)
        return -x


class NestedCells(nn.Cell):  # sub-Cells with branches, called in a loop
    def __init__(self):
        super().__init__(); self.a = BranchSub(); self.b = Sub()
    def construct(self, x):
        for _ in range(2):
            x = self.b(self.a(x))
        return x


class Recursive(nn.Cell):  # a recursive-looking loop: the state fed back through a branch each step
    def construct(self, x, n):
        while n > 0:
            if n % 2 == 0:
                x = x * 0.5
            else:
                x = ops.cos(x) + x
            n = n - 1
        return x


class ReturnInBranch(nn.Cell):  # return inside a loop's branch
    def construct(self, x):
        for i in range(5):
            if x.sum() > 3:
                return x * i
            x = x + 1
        return x


class WhileTwoVars(nn.Cell):  # two loop-carried values, one a Tensor counter
    def __init__(self):
        super().__init__(); self.w = W('w', 2, 2)
    def construct(self, x, y):
        k = Tensor(0, ms.float32)
        while k < 3:
            x, y = ops.matmul(x, self.w) + y, y * 0.9 + x
            k = k + 1
        return x + y


CASES = {
    'if_else': (IfElse, lambda: [T(3, 4)]),
    'if_else_neg': (IfElse, lambda: [Tensor(-np.abs(rng.standard_normal((3, 4))).astype(np.float32))]),
    'if_no_else': (IfNoElse, lambda: [T(2, 3), T(2, 3)]),
    'if_elif': (IfElif, lambda: [T(2, 3)]),
    'while_tensor': (WhileTensor, lambda: [T(2, 4) * 0.5, Tensor(3, ms.int32)]),
    'while_value': (WhileValue, lambda: [T(2, 3) * 0.2]),
    'for_break': (ForBreak, lambda: [T(3) * 0.5 + 1]),
    'for_nested_if': (ForNestedIf, lambda: [T(2, 3), T(2, 3)]),
    'while_nested_if': (WhileNestedIf, lambda: [T(3), Tensor(4, ms.int32)]),
    'twice_sub': (TwiceSub, lambda: [T(2, 4)]),
    'nested_cells': (NestedCells, lambda: [T(2, 4)]),
    'recursive': (Recursive, lambda: [T(3), Tensor(5, ms.int32)]),
    'return_in_branch': (ReturnInBranch, lambda: [T(3) * 0.3]),
    'while_two_vars': (WhileTwoVars, lambda: [T(2, 2) * 0.5, T(2, 2) * 0.5]),
}


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    only = sys.argv[2:]
    expected, blobs = {}, {}
    for name, (cls, mk) in CASES.items():
        if only and name not in only:
            continue
        try:
            net = cls()
            xs = mk()
            y = net(*xs)
            path = os.path.join(outdir, name)
            ms.export(net, *xs, file_name=path, file_format='MINDIR')
            fl = [i for i, x in enumerate(xs) if x.dtype == ms.float32]
            names = [p.name for p in net.trainable_params()]
            g = ms.grad(net, grad_position=tuple(fl) or None, weights=net.trainable_params())(*xs)
            gx, gw = g
            gx = gx if isinstance(gx, tuple) else (gx,)
            expected[name] = {
                'inputs': [(x.asnumpy().tolist(), str(x.asnumpy().dtype)) for x in xs],
                'y': y.asnumpy().astype(np.float64).tolist(), 'dtype': str(y.asnumpy().dtype),
                'grad_positions': fl, 'gx': [a.asnumpy().tolist() for a in gx],
                'gw': {n: a.asnumpy().tolist() for n, a in zip(names, gw)}}
            blobs[name] = np.frombuffer(open(path + '.mindir', 'rb').read(), np.uint8)
            print(name, 'ok')
        except Exception as e:
            print(name, 'MS FAIL', type(e).__name__, str(e)[:300].replace('\n', ' '))
    if only:
        return
    here = os.path.dirname(os.path.abspath(__file__))
    np.savez_compressed(os.path.join(here, '..', 'mindir_ms210_control.npz'),
                        expected_json=np.frombuffer(json.dumps(expected).encode(), np.uint8), **blobs)
    print(len(expected), 'of', len(CASES), 'written')


if __name__ == '__main__':
    main(sys.argv[1])
