import numpy as np, mindspore as ms, json, sys, os, traceback
from mindspore import nn, ops, Tensor
ms.set_context(mode=ms.PYNATIVE_MODE)
rng = np.random.default_rng(1)
def T(*s): return Tensor(rng.standard_normal(s).astype(np.float32))
def P(*s): return Tensor((np.abs(rng.standard_normal(s)) + 0.5).astype(np.float32))
def f_relu6(x):
    return ops.relu6(x * 4)

def f_leaky(x):
    return ops.leaky_relu(x, 0.2)

def f_elu(x):
    return ops.elu(x)

def f_silu(x):
    return ops.silu(x)

def f_softplus(x):
    return ops.softplus(x)

def f_hswish(x):
    return ops.hardswish(x)

def f_gelu_tanh(x):
    return ops.gelu(x, approximate='tanh')

def f_mish(x):
    return ops.mish(x)

def f_sqrt_rsqrt(x):
    return ops.sqrt(x) + ops.rsqrt(x)

def f_log1p_expm1(x):
    return ops.log1p(x) * ops.expm1(x)

def f_sin_cos(x):
    return ops.sin(x) * ops.cos(x) + ops.atan(x)

def f_square_neg(x):
    return ops.square(x) - ops.neg(x)

def f_clamp(x):
    return ops.clamp(x, -0.5, 0.5)

def f_where(x, y):
    return ops.where(x > y, x, y * 2)

def f_min_max_axis(x):
    return ops.max(x, 1)[0] + ops.min(x, 0)[0].sum()

def f_amax(x):
    return ops.amax(x, 1) - ops.amin(x, 1)

def f_argmax_gather(x):
    return ops.gather(x, ops.argmax(x, 1), 1)

def f_cumsum(x):
    return ops.cumsum(x, 1)

def f_prod(x):
    return ops.prod(x, 1)

def f_mean_keep(x):
    return ops.mean(x, 1, keep_dims=True) * x

def f_std(x):
    return ops.std(x, 1)

def f_logsumexp(x):
    return ops.logsumexp(x, 1)

def f_norm(x):
    return ops.norm(x, dim=1)

def f_l2norm(x):
    return ops.L2Normalize(axis=1)(x)

def f_stack_unstack(x, y):
    return ops.stack((x, y), 1).reshape(3, 8)

def f_tile(x):
    return ops.tile(x, (2, 1))

def f_broadcast_to(x):
    return ops.broadcast_to(x, (2, 3, 4))

def f_expand_dims(x):
    return ops.expand_dims(x, 0) * 2

def f_slice(x):
    return x[1:, ::2] * 3

def f_slice_neg(x):
    return x[::-1, 1:3]

def f_index_int(x):
    return x[1] + x[:, 2].sum()

def f_pad(x):
    return ops.pad(x, (1, 2, 0, 1))

def f_flip(x):
    return ops.flip(x, (0,))

def f_matmul_t(x, y):
    return ops.matmul(x, y.T)

def f_bmm(x, y):
    return ops.bmm(x, y)

def f_batch_matmul(x, y):
    return ops.BatchMatMul(transpose_b=True)(x, y)

def f_einsum(x, y):
    return ops.einsum('ij,jk->ik', x, y)

def f_softmax_ce(x, y):
    return ops.cross_entropy(x, y)

def f_mse(x, y):
    return ops.mse_loss(x, y)

def f_smoothl1(x, y):
    return ops.smooth_l1_loss(x, y, reduction='sum')

def f_bce_logits(x, y):
    return ops.binary_cross_entropy_with_logits(x, ops.sigmoid(y), Tensor(np.ones(4, np.float32)), Tensor(np.ones(4, np.float32)))

def f_onehot(x, i):
    return ops.one_hot(i, 4, Tensor(1.0), Tensor(0.0)) * x

def f_cast_f16(x):
    return ops.cast(ops.cast(x, ms.float16) * 2, ms.float32)

def f_sum_dtype(x):
    return x.sum(axis=1, keepdims=True)

def f_div_int(x):
    return x / 3 + x // 2 + x % 2

def f_pow_scalar(x):
    return 2 ** x + x ** 3

def f_topk(x):
    return ops.topk(x, 2)[0]

def f_sort(x):
    return ops.sort(x, 1)[0] * 2

def f_transpose3(x):
    return ops.transpose(x, (2, 0, 1)) * 1.5

def f_split_sections(x):
    return ops.split(x, [1, 3], 1)[1]

def f_chunk(x):
    return ops.chunk(x, 2, 1)[0] + 1

def f_interp(x):
    return ops.interpolate(x, scale_factor=2.0, mode='bilinear', recompute_scale_factor=True)

def f_squeeze_all(x):
    return ops.squeeze(x) * 2

def f_masked_fill(x):
    return ops.masked_fill(x, x > 0, 0.5)

def f_erf_erfc(x):
    return ops.erf(x) + ops.erfc(x) * 2

def f_tanh_sig(x):
    return ops.tanh(x) * ops.sigmoid(x)

def f_reciprocal(x):
    return ops.reciprocal(x) + ops.exp2(x) if hasattr(ops, 'exp2') else ops.reciprocal(x)

def f_zeros_like(x):
    return x + ops.ones_like(x) * 2 + ops.zeros_like(x)

def f_addn(x, y):
    return ops.addn([x, y, x])

def f_embedding_lookup(x, i):
    return ops.gather(x, i, 0)

def f_concat_neg(x, y):
    return ops.cat((x, y), -1)

def f_log_softmax_ax0(x):
    return ops.log_softmax(x, 0)

def f_abs_sign(x):
    return ops.abs(x) * ops.sign(x) + ops.floor(x) + ops.round(x * 3)

C = {
 'relu6': (f_relu6, [T(3, 4)]),
 'leaky': (f_leaky, [T(3, 4)]),
 'elu': (f_elu, [T(3, 4)]),
 'silu': (f_silu, [T(3, 4)]),
 'softplus': (f_softplus, [T(3, 4)]),
 'hswish': (f_hswish, [T(3, 4)]),
 'gelu_tanh': (f_gelu_tanh, [T(3, 4)]),
 'mish': (f_mish, [T(3, 4)]),
 'sqrt_rsqrt': (f_sqrt_rsqrt, [P(3, 4)]),
 'log1p_expm1': (f_log1p_expm1, [P(3, 4)]),
 'sin_cos': (f_sin_cos, [T(3, 4)]),
 'square_neg': (f_square_neg, [T(3, 4)]),
 'clamp': (f_clamp, [T(3, 4)]),
 'where': (f_where, [T(3, 4), T(3, 4)]),
 'min_max_axis': (f_min_max_axis, [T(3, 4)]),
 'amax': (f_amax, [T(3, 4)]),
 'argmax_gather': (f_argmax_gather, [T(3, 4)]),
 'cumsum': (f_cumsum, [T(3, 4)]),
 'prod': (f_prod, [T(3, 4)]),
 'mean_keep': (f_mean_keep, [T(3, 4)]),
 'std': (f_std, [T(3, 4)]),
 'logsumexp': (f_logsumexp, [T(3, 4)]),
 'norm': (f_norm, [T(3, 4)]),
 'l2norm': (f_l2norm, [T(3, 4)]),
 'stack_unstack': (f_stack_unstack, [T(3, 4), T(3, 4)]),
 'tile': (f_tile, [T(3, 4)]),
 'broadcast_to': (f_broadcast_to, [T(3, 4)]),
 'expand_dims': (f_expand_dims, [T(3, 4)]),
 'slice': (f_slice, [T(3, 4)]),
 'slice_neg': (f_slice_neg, [T(3, 4)]),
 'index_int': (f_index_int, [T(3, 4)]),
 'pad': (f_pad, [T(3, 4)]),
 'flip': (f_flip, [T(3, 4)]),
 'matmul_t': (f_matmul_t, [T(3, 4), T(5, 4)]),
 'bmm': (f_bmm, [T(2, 3, 4), T(2, 4, 5)]),
 'batch_matmul': (f_batch_matmul, [T(2, 3, 4), T(2, 5, 4)]),
 'einsum': (f_einsum, [T(3, 4), T(4, 5)]),
 'conv1d': (nn.Conv1d(2, 3, 3, pad_mode='pad', padding=1), [T(2, 2, 7)]),
 'conv2d_stride': (nn.Conv2d(2, 3, 3, stride=2, pad_mode='same', has_bias=True), [T(1, 2, 7, 7)]),
 'conv2d_group_dil': (nn.Conv2d(4, 4, 3, group=2, dilation=2, pad_mode='valid'), [T(1, 4, 9, 9)]),
 'conv2dT': (nn.Conv2dTranspose(2, 3, 3, stride=2, pad_mode='same'), [T(1, 2, 4, 4)]),
 'maxpool_same': (nn.MaxPool2d(3, 2, pad_mode='same'), [T(1, 2, 7, 7)]),
 'avgpool1d': (nn.AvgPool1d(2, 2), [T(1, 2, 8)]),
 'adaptive_avg': (nn.AdaptiveAvgPool2d((2, 2)), [T(1, 2, 6, 6)]),
 'bn1d_eval': (nn.BatchNorm1d(4), [T(3, 4)]),
 'groupnorm': (nn.GroupNorm(2, 4), [T(2, 4, 3, 3)]),
 'instnorm': (nn.InstanceNorm2d(2), [T(2, 2, 4, 4)]),
 'dense_relu': (nn.Dense(4, 3, activation='relu'), [T(3, 4)]),
 'lstm': (nn.LSTM(4, 3, batch_first=True), [T(2, 5, 4)]),
 'gru': (nn.GRU(4, 3, batch_first=True), [T(2, 5, 4)]),
 'softmax_ce': (f_softmax_ce, [T(3, 4), Tensor(np.array([0, 3, 1], np.int32))]),
 'mse': (f_mse, [T(3, 4), T(3, 4)]),
 'smoothl1': (f_smoothl1, [T(3, 4), T(3, 4)]),
 'bce_logits': (f_bce_logits, [T(3, 4), T(3, 4)]),
 'onehot': (f_onehot, [T(3, 4), Tensor(np.array([0, 3, 1], np.int32))]),
 'cast_f16': (f_cast_f16, [T(3, 4)]),
 'sum_dtype': (f_sum_dtype, [T(3, 4)]),
 'div_int': (f_div_int, [T(3, 4)]),
 'pow_scalar': (f_pow_scalar, [T(3, 4)]),
 'topk': (f_topk, [T(3, 4)]),
 'sort': (f_sort, [T(3, 4)]),
 'transpose3': (f_transpose3, [T(2, 3, 4)]),
 'split_sections': (f_split_sections, [T(3, 4)]),
 'chunk': (f_chunk, [T(3, 4)]),
 'interp': (f_interp, [T(1, 1, 3, 3)]),
 'squeeze_all': (f_squeeze_all, [T(1, 3, 1, 4)]),
 'masked_fill': (f_masked_fill, [T(3, 4)]),
 'erf_erfc': (f_erf_erfc, [T(3, 4)]),
 'tanh_sig': (f_tanh_sig, [T(3, 4)]),
 'reciprocal': (f_reciprocal, [P(3, 4)]),
 'zeros_like': (f_zeros_like, [T(3, 4)]),
 'addn': (f_addn, [T(3, 4), T(3, 4)]),
 'dropout_eval': (nn.Dropout(p=0.3), [T(3, 4)]),
 'flatten_dense': (nn.SequentialCell([nn.Flatten(), nn.Dense(12, 2)]), [T(2, 3, 4)]),
 'prelu': (nn.PReLU(), [T(2, 3)]),
 'embedding_lookup': (f_embedding_lookup, [T(5, 3), Tensor(np.array([[0, 4], [2, 2]], np.int32))]),
 'concat_neg': (f_concat_neg, [T(3, 4), T(3, 2)]),
 'log_softmax_ax0': (f_log_softmax_ax0, [T(3, 4)]),
 'abs_sign': (f_abs_sign, [T(3, 4)]),
}
class Wrap(nn.Cell):
    def __init__(self, f):
        super().__init__(); self.f = f
    def construct(self, *xs): return self.f(*xs)
os.makedirs('sweep', exist_ok=True)
out = {}
for name, (f, xs) in C.items():
    try:
        net = f if isinstance(f, nn.Cell) else Wrap(f)
        net.set_train(False)
        y = net(*xs)
        if isinstance(y, tuple): 
            net = Wrap(lambda *a, n=net: n(*a)[0]); y = y[0]
        ms.export(net, *xs, file_name=f'sweep/{name}', file_format='MINDIR')
        fl = [i for i, x in enumerate(xs) if x.dtype in (ms.float32,)]
        g = ms.grad(lambda *a: (net(*a) * 1.0).sum(), grad_position=tuple(fl), weights=net.trainable_params())(*xs)
        gx = g[0] if isinstance(g[0], tuple) else (g[0],)
        out[name] = {'inputs': [(x.asnumpy().tolist(), str(x.asnumpy().dtype)) for x in xs], 'y': y.asnumpy().astype(np.float64).tolist(),
                     'grad_positions': fl, 'gx': [a.asnumpy().tolist() for a in gx],
                     'gw': {p.name: a.asnumpy().tolist() for p, a in zip(net.trainable_params(), g[1])}}
    except Exception as e:
        print(name, 'MS FAIL', type(e).__name__, str(e)[:150].replace('\n', ' '))
json.dump(out, open('sweep/expected.json', 'w'))
print(len(out), 'written')
