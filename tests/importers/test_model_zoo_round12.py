"""Round 12 of the model zoo (benchmarks/IMPORT_ZOO.md).

- jax.lax.linalg.tridiagonal_solve (a natural cubic spline's second derivatives, the zoo's
  jax_tridiagonal_cubic_spline) exports as @lapack_?gtsv_ffi, which the StableHLO importer refused; it is the
  dense solve of the matrix the three diagonals make now (gradserve/importers/jax_lapack.py), checked against
  JAX's own value and gradients (its tridiagonal_solve has its own derivative rules), float32 and float64."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops

pytestmark = pytest.mark.usefixtures("fake")

RNG = np.random.default_rng(12)


def _tridiagonal(p, x):
    """A X = B with the diagonals built from the parameters (a batch of 2 systems, 5 unknowns, 3 right-hand
    sides); dl[..., 0] and du[..., -1] hold values LAPACK must ignore."""
    dl, du = jnp.tanh(p["dl"]), jnp.tanh(p["du"])
    d = 3.0 + p["d"] ** 2
    return jnp.sin(jax.lax.linalg.tridiagonal_solve(dl, d, du, x))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tridiagonal_solve_imports_and_matches_jax(dtype):
    with jax.enable_x64(dtype == np.float64):
        p = {k: RNG.uniform(-1, 1, (2, 5)).astype(dtype) for k in ("dl", "d", "du")}
        x = RNG.uniform(-1, 1, (2, 5, 3)).astype(dtype)
        net = gs.from_jax(_tridiagonal, x, params=p)
        want = np.asarray(jax.jit(_tridiagonal)(p, x))
        jp, jx = jax.grad(lambda q, z: (_tridiagonal(q, z) ** 2).sum(), argnums=(0, 1))(p, x)
    tol = 2e-5 if dtype == np.float32 else 1e-12
    got = net(Tensor(x)).asnumpy()
    assert got.dtype == dtype
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    weights = net.trainable_params()
    gx, gw = ops.grad(lambda z: (net(z) ** 2).sum(), grad_position=0, weights=weights)(Tensor(x))
    np.testing.assert_allclose(gx.asnumpy(), np.asarray(jx), rtol=tol, atol=tol)
    leaves = jax.tree_util.tree_leaves(jp)  # the params' leaves in the order the import lists them
    assert len(gw) == len(leaves) == 3
    for g, want_g in zip(gw, leaves):
        np.testing.assert_allclose(g.asnumpy(), np.asarray(want_g), rtol=tol, atol=tol)
    # leaves in key order d, dl, du: the unused corners dl[..., 0], du[..., -1] have no gradient in either
    for k, corner in ((1, 0), (2, -1)):
        assert float(np.abs(np.asarray(leaves[k])[..., corner]).max()) == 0.0
        assert float(np.abs(gw[k].asnumpy()[..., corner]).max()) == 0.0


# -- ONNX: constants the TorchScript exporter computes in the graph ------------------------------------------
def _ts_onnx(model, inputs) -> bytes:
    import io

    import torch

    f = io.BytesIO()
    torch.onnx.export(model, inputs, f, dynamo=False, opset_version=17)
    return f.getvalue()


def test_boolean_mask_known_at_import_folds_through_nonzero():
    """x[~eye] (VICReg's / Barlow Twins' off-diagonal terms): the TorchScript exporter writes NonZero of the
    constant mask, refused before as any NonZero; its positions are static, so it folds."""
    import torch

    class OffDiagonal(torch.nn.Module):
        def forward(self, x):
            c = x.T @ x
            return c[~torch.eye(4, dtype=torch.bool)] ** 2

    x = torch.randn(5, 4)
    net = gs.from_onnx(_ts_onnx(OffDiagonal(), (x,)))
    xr = x.clone().requires_grad_(True)
    want = OffDiagonal()(xr)
    (gwant,) = torch.autograd.grad(want.sum(), xr)
    got = net(Tensor(x.numpy())).asnumpy()
    np.testing.assert_allclose(got, want.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = ops.grad(lambda t: net(t).sum())(Tensor(x.numpy())).asnumpy()
    np.testing.assert_allclose(g, gwant.numpy(), rtol=1e-5, atol=1e-5)


def test_reformer_lsh_attention_through_the_torchscript_exporter_matches_torch():
    """Reformer's LSH attention (the zoo's reformer_lsh_attention): the TorchScript exporter writes a size into a
    Shape by ScatterElements before an Expand, refused before ("must be a constant here")."""
    from benchmarks.model_zoo_sweep import check_torch
    from benchmarks.zoo_models_round12 import reformer_lsh

    model, inputs = reformer_lsh()()
    res = check_torch(model, inputs, "onnx-ts")
    assert res["weights"] == "4/4"
    assert res["forward"] < 1e-5 and res["grads"] < 1e-5, res


def test_scatter_elements_of_constants_with_repeated_positions_is_not_folded():
    """Plain writes to one position twice: ONNX leaves which wins undefined, so the fold leaves the node to its
    rule, which refuses it by name (round 9's rule) rather than picking NumPy's last write."""
    from onnx import TensorProto, helper

    from gradserve.importers import UnsupportedModel

    data = helper.make_tensor("data", TensorProto.FLOAT, [4], [0.0, 0.0, 0.0, 0.0])
    idx = helper.make_tensor("idx", TensorProto.INT64, [2], [1, 1])
    upd = helper.make_tensor("upd", TensorProto.FLOAT, [2], [2.0, 3.0])
    graph = helper.make_graph(
        [helper.make_node("ScatterElements", ["data", "idx", "upd"], ["s"], axis=0),
         helper.make_node("Add", ["x", "s"], ["y"])],
        "repeated", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])], initializer=[data, idx, upd])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(UnsupportedModel, match="repeated"):
        gs.from_onnx(model.SerializeToString())


# -- torch.export: a boolean mask from factories alone ---------------------------------------------------------
class _OffDiagonal:
    """VICReg's covariance term as users write it: c[~torch.eye(d, dtype=torch.bool)] (refused before as
    "boolean-mask indexing"); and a mask that depends on the input, which stays refused."""

    @staticmethod
    def module(data_mask: bool):
        import torch

        class OffDiagonal(torch.nn.Module):
            def forward(self, x):
                c = x.T @ x
                mask = c > 0 if data_mask else ~torch.eye(4, dtype=torch.bool)
                return c[mask] ** 2

        return OffDiagonal().eval()


def test_boolean_mask_from_factories_imports_through_torch_export():
    import torch

    model = _OffDiagonal.module(data_mask=False)
    x = torch.randn(5, 4)
    net = gs.from_torch(model, (x,))
    xr = x.clone().requires_grad_(True)
    want = model(xr)
    (gwant,) = torch.autograd.grad((want * torch.arange(12.0)).sum(), xr)
    np.testing.assert_allclose(net(Tensor(x.numpy())).asnumpy(), want.detach().numpy(), rtol=1e-5, atol=1e-6)
    w = Tensor(np.arange(12.0, dtype=np.float32))
    g = ops.grad(lambda t: (net(t) * w).sum())(Tensor(x.numpy())).asnumpy()
    np.testing.assert_allclose(g, gwant.numpy(), rtol=1e-5, atol=1e-5)


def test_boolean_mask_from_the_data_is_still_refused():
    import torch

    from gradserve.importers import UnsupportedModel

    with pytest.raises(UnsupportedModel, match="boolean-mask indexing"):
        gs.from_torch(_OffDiagonal.module(data_mask=True), (torch.randn(5, 4),))
