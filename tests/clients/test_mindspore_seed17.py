"""Seed 17 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 17"): values where
gradserve differed from MindSpore 2.10.

Expected values: MindSpore 2.10 (CPU, PyNative), run for this task in its own venv."""
import numpy as np

from gradserve import Tensor, ops
from gradserve.ops.operations import _grad_ops as G


def test_sign_of_nan_is_zero(on_real_server):
    # MindSpore's sign of a real NaN is 0 (the engine's sign keeps NumPy's NaN, for the JAX importer)
    x = Tensor(np.array([[-1, 0, 2.5], [np.nan, 3, -np.nan]], np.float32))
    want = [[-1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    for got in (ops.sign(x), ops.Sign()(x), x.sign()):
        np.testing.assert_array_equal(got.asnumpy(), want)
    np.testing.assert_array_equal(ops.sign(Tensor(np.array([np.nan], np.float64))).asnumpy(), [0.0])
    np.testing.assert_array_equal(ops.sign(Tensor([-3, 0, 2])).asnumpy(), [-1, 0, 1])


def test_layer_norm_grad_with_a_mean_that_is_not_the_inputs(on_real_server):
    # dx counts mean(x - mean) where the mean given is not x's own (MindSpore's kernel: the full derivative)
    x = np.array([[1.0, 2.0, 4.0], [0.5, -1.0, 3.0]], np.float32)
    dy = np.array([[0.3, -0.2, 1.0], [1.0, 0.5, -0.5]], np.float32)
    var, mean = np.array([[0.8], [2.0]], np.float32), np.array([[1.5], [0.0]], np.float32)
    gamma = np.array([0.5, 1.0, 2.0], np.float32)
    dx, dg, db = G.LayerNormGrad(1, 1)(Tensor(x), Tensor(dy), Tensor(var), Tensor(mean), Tensor(gamma))
    np.testing.assert_allclose(dx.asnumpy(), [[2.4379344, -0.20109105, -2.2368433],
                                              [0.22588134, -0.34864292, 0.12276167]], rtol=1e-5)
    np.testing.assert_allclose(dg.asnumpy(), [0.1858483, -0.46535677, 1.7344246], rtol=1e-5)
    np.testing.assert_allclose(db.asnumpy(), [1.3, 0.3, 0.5], rtol=1e-6)
    # begin_params_axis 0: gamma has x's shape, dgamma / dbeta are not summed
    dx0, dg0, db0 = G.LayerNormGrad(0, 0)(Tensor(x), Tensor(dy), Tensor(var[:1]), Tensor(mean[:1]),
                                          Tensor(np.ones((2, 3), np.float32)))
    np.testing.assert_allclose(dx0.asnumpy(), [[-0.15780579, -0.54213, 1.1488962],
                                               [0.53747153, -0.28358456, -0.70284736]], rtol=1e-5)
    np.testing.assert_allclose(dg0.asnumpy(), [[-0.16770509, -0.11180339, 2.7950847],
                                               [-1.1180339, -1.3975424, -0.8385254]], rtol=1e-5)
    np.testing.assert_array_equal(db0.asnumpy(), dy)
