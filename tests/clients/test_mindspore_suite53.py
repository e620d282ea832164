"""Sample seed 53 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 53").

Expected values and texts: MindSpore 2.10 CPU, run in its venv (/work/ms_suite53/probe/p_ins*.py, p_bij.py,
p_mel*.py, p_fb.py, p_vals*.py hold the same programs). Silently different before: Accuracy's argmax axis (-1, not
1) and soft labels read as one-hot; a graph list's insert / pop at a bool or Tensor index."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, context, jit
from gradserve.dataset import audio
from gradserve.dataset.audio import MelType, NormType
from gradserve.dataset.audio import mel_filter_bank
from gradserve.nn.probability import bijector as msb
from gradserve.train import Accuracy


# -- train.Accuracy -------------------------------------------------------------------------------------------------

def test_accuracy_argmax_is_over_axis_1():
    # MindSpore 2.10: 0.3333333333333333 (the argmax over the last axis would give 0.1667)
    x = np.random.RandomState(0).rand(2, 3, 3)
    y = np.array([[0, 1, 2], [2, 2, 0]])
    got = Accuracy()(x, y)
    assert got == pytest.approx(1 / 3) and isinstance(got, np.float64)


def test_accuracy_soft_labels_are_not_one_hot():
    x = np.array([[0.2, 0.5], [0.3, 0.1], [0.9, 0.6]])
    with pytest.raises(ValueError, match=r"the dimension of y_pred \(predicted value\) should equal to the dimension "
                                         r"of y \(true value\) add 1, but got y_pred dimension: 2 and y dimension: 2"):
        Accuracy()(x, np.array([[0.3, 0.7], [1, 0], [0, 1]]))
    assert Accuracy()(x, np.array([[0, 1], [1, 0], [0, 1]])) == pytest.approx(2 / 3)  # one-hot: read as indices


def test_accuracy_multilabel():  # MindSpore 2.10: 0.5; values not 0 / 1 refused
    assert Accuracy("multilabel")(np.array([[0, 1], [1, 1]]), np.array([[0, 1], [1, 0]])) == 0.5
    with pytest.raises(ValueError, match="In multilabel case, all elements in y_pred"):
        Accuracy("multilabel")(np.array([[0, 0.5], [1, 1]]), np.array([[0, 1], [1, 0]]))


def test_accuracy_refusals_as_mindspore():
    with pytest.raises(TypeError, match=r"The argument 'eval_type' must be in \{'classification', 'multilabel'\}, "
                                        r"but got test"):
        Accuracy("test")
    m = Accuracy()
    m.update(np.ones((2, 3)), np.array([0, 1]))
    with pytest.raises(ValueError, match="last input predicted data contain 3 classes, but current predicted data "
                                         "contain 4 classes"):
        m.update(np.ones((2, 4)), np.array([0, 1]))
    with pytest.raises(ValueError, match="'indexes' must be a list and all its elements must be int"):
        Accuracy().set_indexes([0.0, 2.0])


# -- nn.probability.bijector: a user's subclass -----------------------------------------------------------------------

class _Affine(msb.Bijector):
    def __init__(self, dtype):
        super().__init__(name="Affine", dtype=dtype, param={"param_dict": {}})
        self._a = self._add_parameter(np.array(2.0, np.float32), "a")

    def _forward(self, value):
        value = self._check_value_dtype(value)
        return value * self.cast_param_by_value(value, self._a)


def test_bijector_subclass_value_dtype_checks():
    free, fixed = _Affine(None), _Affine(ms.float32)
    out = free.forward(Tensor(np.array([1.5], np.float16)))
    assert out.dtype == ms.float16 and out.asnumpy().tolist() == [3.0]
    assert fixed.forward(Tensor(np.array([1.5], np.float32))).asnumpy().tolist() == [3.0]
    for dt, name in ((np.float16, "Float16"), (np.float64, "Float64"), (np.int32, "Int32")):
        with pytest.raises(TypeError, match=f"For 'SameTypeShape', the x dtype should be = y dtype: Float32, but got "
                                            f"{name}."):
            fixed.forward(Tensor(np.array([1], dt)))
    with pytest.raises(TypeError, match="the type must be or be subclass of Float, but got Int32"):
        free.forward(Tensor(np.array([1], np.int32)))
    with pytest.raises(TypeError, match="should have the same dtype as the bijector's dtype"):
        _Affine(ms.float16)


# -- a graph's list.insert / list.pop ---------------------------------------------------------------------------------

@pytest.fixture
def graph_mode(on_real_server):
    context.set_context(mode=context.GRAPH_MODE)
    yield


def _insert_at(idx):
    @jit
    def f():
        x = [1, 2, 3]
        x.insert(idx, 9)
        return x
    return f


def _pop_at(idx):
    @jit
    def f():
        x = [1, 2, 3]
        y = x.pop(idx)
        return x, y
    return f


@pytest.mark.parametrize("idx, kind, value", [(True, "BoolImm", "true"), (1.0, "FP32Imm", "1"), ("a", "StringImm", "a"),
                                             (None, "None", "None")])
def test_graph_list_insert_pop_take_an_int_only(graph_mode, monkeypatch, idx, kind, value):
    monkeypatch.delenv("MS_DEV_JIT_SYNTAX_LEVEL", raising=False)
    with pytest.raises(TypeError, match=f"The second input to ListInplaceInsert must be int scalar but got {kind}$"):
        _insert_at(idx)()
    with pytest.raises(TypeError, match=f"Integer argument expected, but got {kind} type value: {value}$"):
        _pop_at(idx)()
    monkeypatch.setenv("MS_DEV_JIT_SYNTAX_LEVEL", "0")
    with pytest.raises(TypeError, match=f"Integer argument expected, but got {kind} type value: {value}$"):
        _insert_at(idx)()


@jit
def _insert_arg(i):
    x = [1, 2, 3]
    x.insert(i, 7)
    return x


@jit
def _pop_arg(i):
    x = [1, 2, 3]
    return x.pop(i)


def test_graph_list_insert_pop_of_a_tensor_index(graph_mode):
    with pytest.raises(TypeError, match=r"For 'ListInsert', input\[1\] should be Scalar, but got Tensor\[Int64\]\."):
        _insert_arg(Tensor(1))
    with pytest.raises(TypeError, match="Integer argument expected, but got ValueAny type value: ValueAny"):
        _pop_arg(Tensor(1))
    assert _insert_at(-1)() == [1, 2, 9, 3] and _pop_at(0)() == ([2, 3], 1)  # ints as Python's


def test_graph_list_pop_refuses_a_mutable_int_insert_takes_it(graph_mode):  # MindSpore 2.10's
    assert _insert_arg(ms.mutable(1)) == [1, 7, 2, 3]
    with pytest.raises(TypeError, match="Integer argument expected, but got ValueAny type value: ValueAny"):
        _pop_arg(ms.mutable(1))


def test_pynative_list_insert_stays_pythons(on_real_server):
    context.set_context(mode=context.PYNATIVE_MODE)

    def f():
        x = [1, 2, 3]
        x.insert(True, 9)
        return x
    assert f() == [1, 9, 2, 3]


# -- dataset.audio.InverseMelScale ------------------------------------------------------------------------------------

# MindSpore 2.10's MelScale(n_mels=2, sample_rate=8000, f_min=100.0, f_max=3500.0, n_stft=5) of the identity: the bank
_MS_BANKS = {
    (NormType.NONE, MelType.HTK): [[0.698297637195, 0.301702362805], [0.0, 0.841067532053], [0.0, 0.280355844018]],
    (NormType.NONE, MelType.SLANEY): [[0.780040229189, 0.219959770811], [0.0, 0.829553680861], [0.0, 0.27651789362]],
    (NormType.SLANEY, MelType.HTK): [[0.000863934511, 0.000214766164], [0.0, 0.000598712075],
                                     [0.0, 0.000199570692]],
    (NormType.SLANEY, MelType.SLANEY): [[0.000980073929, 0.000163230789], [0.0, 0.000615606668],
                                        [0.0, 0.000205202223]],
}


@pytest.mark.parametrize("norm, mel_type", list(_MS_BANKS))
def test_mel_filter_bank_is_mindspores(norm, mel_type):
    fb = mel_filter_bank(5, 100.0, 3500.0, 2, 8000, norm, mel_type)
    want = np.zeros((5, 2))
    want[1:4] = _MS_BANKS[(norm, mel_type)]  # (rows 0 and 4, 0 Hz and 4 kHz: outside [100, 3500])
    np.testing.assert_allclose(fb, want, rtol=1e-9, atol=1e-12)


def test_inverse_mel_scale_recovers_the_spectrogram():
    # mel: MindSpore 2.10's MelScale(n_mels=6, sample_rate=8000, f_min=0.0, f_max=6000.0, n_stft=3) of
    # s = [[1, 2], [0.5, 0], [3, 1]]; its InverseMelScale gives rows 1, 2 [[0.5025, 0.0059], [2.9901, 0.9967]]
    # (row 0, 0 Hz, is in no filter: it keeps its random start in [0, 1))
    mel = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.419936369588, 0.0], [0.421179692837, 0.113705354142],
                    [2.658883937575, 0.886294645858]])
    np.random.seed(0)
    out = audio.InverseMelScale(n_stft=3, n_mels=6, sample_rate=8000, f_min=0.0, f_max=6000.0)(mel)
    assert out.shape == (1, 3, 2) and out.dtype == np.float64  # (a 2-D input gains a leading 1, as MindSpore's)
    np.testing.assert_allclose(out[0, 1:], [[0.5, 0.0], [3.0, 1.0]], atol=0.03)
    assert 0.0 <= out[0, 0].min() and out[0, 0].max() < 1.0


def test_inverse_mel_scale_shapes_and_dtypes():  # MindSpore 2.10's
    op = audio.InverseMelScale(n_stft=6, n_mels=3, max_iter=5)
    assert op(np.random.rand(2, 3, 4).astype(np.float32)).shape == (2, 6, 4)
    assert op(np.random.rand(5, 2, 3, 4)).dtype == np.float64
    assert op(np.ones((3, 4), np.float16)).dtype == np.float32 and op(np.ones((3, 4), np.int32)).dtype == np.float32
    with pytest.raises(RuntimeError, match="n_mels must be equal to the penultimate dimension of input"):
        op(np.ones((5, 4), np.float32))


@pytest.mark.parametrize("kwargs, exc, text", [
    ({"n_stft": True}, TypeError, r"Argument n_stft with value True is not of type \(<class 'int'>,\), but got "
                                  r"<class 'bool'>\."),
    ({"n_stft": 4, "f_min": 9000.0}, ValueError, "sample_rate // 2 should be greater than f_min when f_max is set to "
                                                 "None"),
    ({"n_stft": 4, "tolerance_loss": 0}, ValueError, r"Input tolerance_loss is not within the required interval of "
                                                     r"\(0, 16777216\]\."),
    ({"n_stft": 4, "sgdargs": {"sgd_lr": -1, "sgd_momentum": 0.9}}, ValueError,
     r"Input sgd_lr is not within the required interval of \[0, 16777216\]\."),
    ({"n_stft": 4, "norm": "none"}, TypeError, r"Argument norm with value none is not of type \[<enum 'NormType'>\], "
                                               r"but got <class 'str'>\."),
])
def test_inverse_mel_scale_argument_checks(kwargs, exc, text):
    with pytest.raises(exc, match=text):
        audio.InverseMelScale(**kwargs)


def test_inverse_mel_scale_in_a_pipeline():
    import gradserve.dataset as ds
    data = ds.NumpySlicesDataset(np.random.rand(2, 3, 4), column_names=["x"], shuffle=False)
    data = data.map(operations=[audio.InverseMelScale(n_stft=6, n_mels=3, max_iter=5)], input_columns=["x"])
    shapes = [item["x"].shape for item in data.create_dict_iterator(num_epochs=1, output_numpy=True)]
    assert shapes == [(1, 6, 4), (1, 6, 4)]  # MindSpore 2.10's
