"""MindSpore leftovers, round 21 (h-left21; benchmarks/mindspore_suite/README.md, "Leftovers, round 21").

Expected values and error texts: MindSpore 2.10 (CPU), run for this task in its own venv (/work/msvenv); the mode
that gave each is stated beside it."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Parameter, Tensor, nn

_NAMES = ['softmin', 'softmax', 'softmax2d', 'logsoftmax', 'logsoftmaxExt', 'relu', 'relu6', 'rrelu', 'silu', 'tanh',
          'tanhshrink', 'hardtanh', 'gelu', 'fast_gelu', 'elu', 'sigmoid', 'softsign', 'prelu', 'preluExt',
          'leakyrelu', 'hswish', 'hsigmoid', 'logsigmoid', 'softshrink', 'hshrink', 'threshold', 'mish']


# -- nn.Dense(activation=...) / nn.get_activation: MindSpore 2.10's names only, case-sensitive ---------------------
@pytest.mark.parametrize("name", ["softplus", "selu", "swish", "celu", "Relu", "ReLU", "LeakyReLU", "hardswish"])
def test_activation_names_mindspore_lacks_are_its_key_error(name):
    # MindSpore 2.10: KeyError, for nn.Dense(3, 2, activation=name) and nn.get_activation(name) alike
    text = f"The 'name' must be in {_NAMES}, but got {name}."
    with pytest.raises(KeyError) as info:
        nn.Dense(3, 2, activation=name)
    assert info.value.args[0] == text
    with pytest.raises(KeyError) as info:
        nn.get_activation(name)
    assert info.value.args[0] == text


@pytest.mark.parametrize("name", [n for n in _NAMES if n not in ("threshold", "logsoftmaxExt")])
def test_activation_names_mindspore_accepts_build(name):
    # MindSpore 2.10 builds nn.Dense(3, 2, activation=name) for each of these
    assert isinstance(nn.Dense(3, 2, activation=name).activation, nn.Cell)


def test_threshold_activation_needs_its_arguments():
    # MindSpore 2.10: TypeError "Threshold.__init__() missing 2 required positional arguments: 'threshold' and 'value'"
    with pytest.raises(TypeError, match="missing 2 required positional arguments: 'threshold' and 'value'"):
        nn.Dense(3, 2, activation="threshold")


def test_dense_softsign_value(on_real_server):
    net = nn.Dense(2, 1, weight_init=Tensor(np.array([[1.0, -2.0]], np.float32)), bias_init="zeros",
                   activation="softsign")
    out = net(Tensor(np.array([[3.0, 1.0]], np.float32))).asnumpy()
    np.testing.assert_allclose(out, [[0.5]], rtol=1e-6)  # softsign(1) = 1 / 2, by hand
