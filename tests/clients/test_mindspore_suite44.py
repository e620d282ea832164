"""Sample seed 44 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 44").

Expected values and error texts: MindSpore 2.10 (CPU, PyNative), run for this task in its own venv; the call that
gave each is stated beside it."""
import numpy as np
import pytest

from gradserve import Tensor, nn, ops
from gradserve.ops import functional as F
from gradserve.ops.operations import manually_defined as M


def _x():
    return Tensor(np.arange(20).reshape(10, 2).astype(np.float32))


# -- answers where MindSpore refuses, before ------------------------------------------------------------------
def test_split_sizes_are_checked(on_real_server):
    # ops.split(x, (2, 3)) of 10 rows gave two chunks (2 and 8 rows), split(x, True) ten, split(x, ()) the whole;
    # MindSpore 2.10 refuses each (ops.split, the same texts from Tensor.split)
    x = _x()
    with pytest.raises(ValueError, match=r"^The sum of 'split_size_or_sections' should be equal to 10, but got 5\.$"):
        ops.split(x, (2, 3))
    with pytest.raises(ValueError, match=r"^The sum of 'split_size_or_sections' should be equal to 10, but got 0\.$"):
        ops.split(x, ())
    with pytest.raises(ValueError, match=r"equal to 10, but got 5\."):
        x.split([2, 3])
    with pytest.raises(TypeError, match=r"^Type of Argument `split_size_or_sections` should be integer, tuple\(int\) "
                                        r"or list\(int\), but got <class 'bool'>$"):
        ops.split(x, True)
    with pytest.raises(TypeError, match=r"^Each element in 'split_size_or_sections' should be integer, but got "
                                        r"<class 'bool'>\.$"):
        ops.split(x, (True, 9))
    with pytest.raises(TypeError, match=r"^Type of Argument `axis` should be integer but got <class 'bool'>$"):
        ops.split(x, 2, True)
    with pytest.raises(TypeError, match=r"^Each element in 'split_size_or_sections' should be non-negative, but got "
                                        r"\[2, -1, 9\]\.$"):
        ops.split(x, [2, -1, 9])
    with pytest.raises(ValueError, match=r"^For split, the value of 'split_size_or_sections' must be more than zero, "
                                         r"but got 0\.$"):
        ops.split(x, 0)
    with pytest.raises(ValueError, match=r"^axis 5 is out of bounds for array of dimension 2$"):
        ops.split(x, 2, 5)
    with pytest.raises(ValueError):  # mint.split(x, (2, 3)): MindSpore's SplitWithSize ValueError
        from gradserve import mint
        mint.split(x, (2, 3))
    # what MindSpore 2.10 answers: a 0 size is an empty chunk; 11 of 10 rows one chunk
    assert [t.shape for t in ops.split(x, (2, 0, 8))] == [(2, 2), (0, 2), (8, 2)]
    assert [t.shape for t in ops.split(x, 11)] == [(10, 2)]


def test_dot_refuses_rank_one_and_other_dtypes(on_real_server):
    # ops.dot / Tensor.dot of a vector and a matrix answered ([16, 22] for ones(3) . arange(6).reshape(3, 2));
    # MindSpore 2.10's CPU dot takes ranks >= 2 of float16 / float32 only
    with pytest.raises(ValueError) as err:
        ops.dot(Tensor(np.ones(3, np.float32)), Tensor(np.ones((3, 2), np.float32)))
    assert str(err.value) == ("For 'dot', the inputs x1, x2 should have 'dimension >= 2',but got 'len(x1_shape)': (1) "
                              "and 'len(x2_shape)': (2).")
    with pytest.raises(ValueError, match=r"'len\(x1_shape\)': \(2\) and 'len\(x2_shape\)': \(1\)\."):
        Tensor(np.ones((2, 3), np.float32)).dot(Tensor(np.ones(3, np.float32)))
    with pytest.raises(TypeError, match=r"^The 'x1' doesn't support 'Int32' and expect to receive \[mindspore\.float16, "
                                        r"mindspore\.float32\]\.$"):
        ops.dot(Tensor(np.ones((2, 3), np.int32)), Tensor(np.ones((3, 2), np.int32)))
    with pytest.raises(TypeError, match=r"^The 'x2' doesn't support 'Float64'"):
        ops.dot(Tensor(np.ones((2, 3), np.float32)), Tensor(np.ones((3, 2), np.float64)))


def test_psnr_max_val_must_be_a_number(on_real_server):
    # ut/python/nn/test_psnr.py: nn.PSNR(True) was built with max_val 1.0; MindSpore 2.10 refuses
    with pytest.raises(TypeError, match=r"^For 'PSNR', the type of 'max_val' should be one of '\['int', 'float'\]', "
                                        r"but got type 'bool'\.$"):
        nn.PSNR(True)
    with pytest.raises(TypeError, match=r"but got type 'str'\.$"):
        nn.PSNR("a")
    with pytest.raises(ValueError, match=r"^For 'PSNR', the argument 'max_val' must > 0\.0, but got 0\.$"):
        nn.PSNR(0)
    with pytest.raises(TypeError, match=r"^For 'SSIM', the type of 'max_val'"):
        nn.SSIM(max_val=True)


# -- refused before ---------------------------------------------------------------------------------------------
def test_tensor_split_forms(on_real_server):
    # st/tensor/overload/test_split.py: Tensor.split did not exist. MindSpore 2.10's two forms
    x = _x()
    a = np.arange(20).reshape(10, 2)
    for out in (x.split(5), x.split(split_size=5, dim=0), x.split(split_size_or_sections=5, axis=0)):
        assert [t.asnumpy().tolist() for t in out] == [a[:5].tolist(), a[5:].tolist()]
    assert [t.shape for t in x.split(3)] == [(3, 2), (3, 2), (3, 2), (1, 2)]
    assert [t.shape for t in x.split((2, 3, 5))] == [(2, 2), (3, 2), (5, 2)]
    assert [t.asnumpy()[:, 0].tolist() for t in x.split(1, dim=1)] == [a[:, 0].tolist(), a[:, 1].tolist()]
    assert [t.shape for t in x.split(1, axis=-1)] == [(10, 1), (10, 1)]
    with pytest.raises(TypeError, match=r'^Failed calling split with "split\(split_size=int, axis=int\)"\.\n'
                                        r'The valid calling should be:\n"Tensor\.split\(split_size=<int>, dim=<int>\)"'):
        x.split(split_size=4, axis=0)
    with pytest.raises(TypeError, match=r'^Failed calling split with "split\(float\)"\.'):
        x.split(2.0)
    # its gradient: ones into each chunk's rows (the chunks' sum weighted by 1, 2, 3)
    g = ops.grad(lambda t: sum((i + 1) * c.sum() for i, c in enumerate(t.split((2, 3, 5)))))(x)
    assert g.asnumpy()[:, 0].tolist() == [1, 1, 2, 2, 2, 3, 3, 3, 3, 3]


def test_tensor_dot(on_real_server):
    # st/tensor/test_dot.py: Tensor.dot did not exist. MindSpore 2.10: (2, 3) . (1, 3, 2) -> (2, 1, 2), and its grads
    a = Tensor(np.arange(6).reshape(2, 3).astype(np.float32))
    b = Tensor(np.arange(6).reshape(1, 3, 2).astype(np.float32))
    out = a.dot(b)
    assert out.shape == (2, 1, 2) and out.asnumpy().tolist() == [[[10.0, 13.0]], [[28.0, 40.0]]]
    ga, gb = ops.grad(lambda x, y: x.dot(y), (0, 1))(a, b)
    assert ga.asnumpy().tolist() == [[1, 5, 9], [1, 5, 9]]
    assert gb.asnumpy().tolist() == [[[3, 3], [5, 5], [7, 7]]]
    with pytest.raises(TypeError, match=r'^Failed calling dot with "dot\(float\)"\.\nThe valid calling should be:\n'
                                        r'"Tensor\.dot\(other=<Tensor>\)"'):
        a.dot(2.0)


def test_manually_defined_scalar_ops():
    # st/dynamic_shape/test_ops_scalar_arithmetic.py imports them from ops.operations.manually_defined (placeholders
    # that refused before). MindSpore 2.10: scalar_eq(3, 3) True, (3, 4) False, (3.0, 3) True; scalar_bool(0) False,
    # (2.5) True; floordiv(-7, 2) -4, (7.5, 2) 3.0; div(3, 2) 1.5; mod(-3, 2) 1; pow(2, 3) 8; max(2, 3.0) 3.0
    assert (M.scalar_eq(3, 3), M.scalar_eq(3, 4), M.scalar_eq(3.0, 3)) == (True, False, True)
    assert F.scalar_eq(3, 3) is True and not hasattr(F, "scalar_bool")
    assert (M.scalar_bool(0), M.scalar_bool(2.5)) == (False, True)
    assert (M.scalar_floordiv(-7, 2), M.scalar_floordiv(7.5, 2), M.scalar_div(3, 2)) == (-4, 3.0, 1.5)
    assert (M.scalar_mod(-3, 2), M.scalar_pow(2, 3), M.scalar_max(2, 3.0)) == (1, 8, 3.0)
    assert (M.scalar_add(3, 4), M.scalar_lt(3, 4), M.scalar_ge(3, 4), M.scalar_usub(2)) == (7, True, False, -2)


class _Write(nn.Cell):
    def construct(self, a, b, u):
        a[b] = u
        return a


class _Whole(nn.Cell):
    def construct(self, a, b):
        a[...] = b
        return a


class _Read(nn.Cell):
    def construct(self, a):
        return a[6, 3, 4]


def test_bool_mask_of_leading_dims(on_real_server):
    # st/pynative/test_tensor_getitem.py: a traced bool mask of fewer dims than x was an IndexError of ours;
    # MindSpore 2.10 (PyNative and GRAPH_MODE) pads it with trailing 1s and writes whole rows
    a = Tensor(np.arange(24).reshape(2, 3, 4).astype(np.float32))
    r = _Write()(a, Tensor(np.array([True, False])), Tensor([-1.0])).asnumpy()
    assert r.sum() == 198.0 and r[:, 0, 0].tolist() == [-1.0, 12.0]
    r = _Write()(a, Tensor(np.array([[True, False, True], [False, False, True]])), 7.0).asnumpy()
    assert r.sum() == 230.0 and r[:, :, 1].tolist() == [[7.0, 5.0, 7.0], [13.0, 17.0, 7.0]]
    x = Tensor(np.arange(60).reshape(3, 4, 5).astype(np.float32))
    with pytest.raises(ValueError, match=r"^operands could not be broadcast together with remapped shapes "
                                         r"\[original->remapped\]: \(2,1,1\)  and requested shape \(3,4,5\)$"):
        _Write()(x, Tensor([True, True]), Tensor([1.0]))
    with pytest.raises(ValueError, match=r"^For 'ScatterNd', .* but got P = 1, N = 3$"):
        _Write()(Tensor(np.arange(54.0).astype(np.float32)), Tensor(np.ones((3, 4, 5), bool)), Tensor([1.0]))


def test_whole_write_and_index_bounds(on_real_server):
    # st/pynative/test_tensor_getitem.py. MindSpore 2.10: a[...] = b of shape (1, 3, 4, 5) into (3, 4, 5) writes b;
    # an int index outside its axis is IndexError "index 6 is out of bounds for dimension with size 6" (a traced
    # read was our server's ShapeError, an eager one NumPy's text)
    x = Tensor(np.arange(60).reshape(3, 4, 5).astype(np.float32))
    assert _Whole()(x, Tensor(np.full((1, 3, 4, 5), -1, np.float32))).asnumpy().sum() == -60.0
    with pytest.raises(ValueError):
        _Whole()(x, Tensor(np.full((2, 3, 4, 5), -1, np.float32)))
    t = Tensor(np.ones([6, 8, 10], np.int32))
    with pytest.raises(IndexError, match=r"^index 6 is out of bounds for dimension with size 6$"):
        _Read()(t)
    with pytest.raises(IndexError, match=r"^index -7 is out of bounds for dimension with size 6$"):
        t[-7, 3, 4]
    with pytest.raises(IndexError, match=r"^index -11 is out of bounds for dimension with size 10$"):
        t[1, ..., -11]


def test_resize_nearest_neighbor_corners_and_half_pixels(on_real_server):
    # st/dynamic_shape/test_resize_nearest_neighbor_v2.py: align_corners / half_pixel_centers were refused.
    # MindSpore 2.10 (ResizeNearestNeighborV2 on arange(35).reshape(1, 1, 5, 7)): the flat indices read
    x = Tensor(np.arange(35).reshape(1, 1, 5, 7).astype(np.float32))

    def v2(ac, hp, size):
        return ops.ResizeNearestNeighborV2(ac, hp)(x, Tensor(np.array(size, np.int32))).asnumpy().reshape(-1).tolist()
    assert v2(True, False, (2, 3)) == [0, 3, 6, 28, 31, 34]
    assert v2(True, False, (7, 4)) == [0, 2, 4, 6, 7, 9, 11, 13, 7, 9, 11, 13, 14, 16, 18, 20, 21, 23, 25, 27, 21, 23,
                                       25, 27, 28, 30, 32, 34]
    assert v2(False, True, (2, 3)) == [8, 10, 12, 22, 24, 26]
    assert v2(False, True, (1, 1)) == [17]
    assert ops.ResizeNearestNeighbor((2, 3), True)(x).asnumpy().reshape(-1).tolist() == [0, 3, 6, 28, 31, 34]
    # the gradient of sum(out * arange(36)) for half_pixel_centers and size (9, 4)
    w = Tensor(np.arange(36.0).reshape(1, 1, 9, 4).astype(np.float32))
    g = ops.grad(lambda t: (ops.ResizeNearestNeighborV2(False, True)(t, Tensor(np.array((9, 4), np.int32))) * w).sum())(x)
    assert g.asnumpy().reshape(-1).tolist() == [4, 0, 6, 0, 8, 0, 10, 20, 0, 22, 0, 24, 0, 26, 16, 0, 17, 0, 18, 0, 19,
                                                44, 0, 46, 0, 48, 0, 50, 60, 0, 62, 0, 64, 0, 66]
    with pytest.raises(ValueError, match=r"^For ResizeNearestNeighborV2, the half_pixel_centers must be false when "
                                         r"align_corners is true, but half_pixel_centers got True\.$"):
        ops.ResizeNearestNeighborV2(True, True)(x, Tensor(np.array((2, 2), np.int32)))


class _SetParam(nn.Cell):
    def __init__(self):
        super().__init__()
        from gradserve import Parameter
        self.p = Parameter(0.0, name="p", requires_grad=False)

    def construct(self, x):
        self.p = x
        return self.p


def test_parameter_attribute_takes_numbers_only(on_real_server):
    # ut/python/pipeline/parse/test_parse.py::test_assign_check_none: `self.p = None` in construct filled p with NaN
    # (a string / tuple: NumPy's errors). MindSpore 2.10 refuses: GRAPH_MODE its Assign's TypeError, PyNative its
    # Parameter's (PyNative `self.p = None` rebinds the attribute to None there: refused here)
    import gradserve as ms
    try:
        ms.set_context(mode=ms.GRAPH_MODE)
        for v, text in ((None, "None"), ("s", "String"), ((1, 2), r"Tuple\[Int64\*2\]")):
            with pytest.raises(TypeError, match=rf'^Failed calling Assign with "value={text}"\.$'):
                _SetParam()(v)
        net = _SetParam()
        net(2.0)
        assert float(net.p.asnumpy()) == 2.0
        ms.set_context(mode=ms.PYNATIVE_MODE)
        with pytest.raises(TypeError, match=r"^Parameter 'p' already exists in network, can not assign this type: "
                                            r"'<class 'str'>' as a parameter\.$"):
            _SetParam()("s")
    finally:
        ms.set_context(mode=ms.PYNATIVE_MODE)
