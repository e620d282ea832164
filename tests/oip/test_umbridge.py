"""UM-Bridge protocol 1.0 at /umbridge through the unmodified `umbridge` client, against analytic derivatives
of the repository model `um`: f(x, y) = (sin(x) * y, x * x * y), x, y in R^3 (float64)."""
from __future__ import annotations

import httpx
import numpy as np
import pytest
import umbridge  # the test extra: fail, never skip

from .models import DTYPES

X = np.array([0.3, -1.2, 2.0])
Y = np.array([1.5, 0.4, -0.7])
SENS = np.array([0.2, -1.0, 3.0])
VEC = np.array([1.0, 0.5, -2.0])
F = [np.sin(X) * Y, X * X * Y]
# first derivatives (all diagonal): J[o][i]
J = [[np.cos(X) * Y, np.sin(X)], [2 * X * Y, X * X]]
# second derivatives (diagonal): H[o][i1][i2]
H = [[[-np.sin(X) * Y, np.cos(X)], [np.cos(X), np.zeros(3)]],
     [[2 * Y, 2 * X], [2 * X, np.zeros(3)]]]


@pytest.fixture(scope="module")
def model(server):
    return umbridge.HTTPModel(server.url + "/umbridge", "um")


def test_info_sizes_and_support(server, model):
    assert "um" in umbridge.supported_models(server.url + "/umbridge")
    assert model.get_input_sizes() == [3, 3] and model.get_output_sizes() == [3, 3]
    assert model.supports_evaluate() and model.supports_gradient()
    assert model.supports_apply_jacobian() and model.supports_apply_hessian()


def test_evaluate(model):
    out = model([X.tolist(), Y.tolist()])
    for got, want in zip(out, F):
        np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("o", [0, 1])
@pytest.mark.parametrize("i", [0, 1])
def test_gradient_and_apply_jacobian(model, o, i):
    g = model.gradient(o, i, [X.tolist(), Y.tolist()], SENS.tolist())
    np.testing.assert_allclose(g, J[o][i] * SENS, rtol=1e-12, atol=1e-14)
    jv = model.apply_jacobian(o, i, [X.tolist(), Y.tolist()], VEC.tolist())
    np.testing.assert_allclose(jv, J[o][i] * VEC, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("o", [0, 1])
@pytest.mark.parametrize("i1, i2", [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_apply_hessian(model, o, i1, i2):
    h = model.apply_hessian(o, i1, i2, [X.tolist(), Y.tolist()], SENS.tolist(), VEC.tolist())
    np.testing.assert_allclose(h, SENS * H[o][i1][i2] * VEC, rtol=1e-12, atol=1e-14)


def test_every_repository_model_is_an_umbridge_model_of_its_graph(server):
    names = umbridge.supported_models(server.url + "/umbridge")
    assert {"seed_grad", "seed_jvp", "um"} <= set(names)
    m = umbridge.HTTPModel(server.url + "/umbridge", "seed_grad")  # a grad model: UM-Bridge sees Net itself
    x, y = np.arange(6.0).reshape(2, 3) / 10, np.arange(9.0).reshape(3, 3) / 10
    out = m([x.ravel().tolist(), y.ravel().tolist()])
    np.testing.assert_allclose(np.reshape(out[0], (2, 3)), x @ y, rtol=1e-6)  # z = 1: Net(x, y) = x @ y


def test_errors_are_umbridge_errors(server, model):
    with pytest.raises(Exception, match="length 2; expected 3"):
        model.gradient(0, 0, [X.tolist(), Y.tolist()], [1.0, 2.0])
    with pytest.raises(Exception, match="inWrt must be an integer"):
        model.gradient(0, 5, [X.tolist(), Y.tolist()], SENS.tolist())
    r = httpx.post(server.url + "/umbridge/Evaluate", json={"name": "nope", "input": [[1.0]]})
    assert r.status_code == 400 and r.json()["error"]["type"] == "ModelNotFound"


def test_complex_models_are_refused_not_truncated():
    """UM-Bridge vectors are real: a model with a complex input or output is an UnsupportedFeature error,
    never a silent loss of the imaginary parts."""
    from types import SimpleNamespace

    from engine import GraphBuilder
    from service.umbridge import Call, UMError

    gb = GraphBuilder("c")
    x = gb.input((2,), "float64", name="x")
    g = gb.build(gb.complex(x, x))
    model = SimpleNamespace(parsed=g, name="cplx", device="cpu")
    with pytest.raises(UMError, match="model 'cplx' has a complex128 output; UM-Bridge carries real vectors") as e:
        Call(None, model, {"input": [[1.0, 2.0]]})
    assert e.value.kind == "UnsupportedFeature"


def test_config_passing_and_sizes_with_config(server, model):
    """The client's config reaches every call: {"device": ...} is the one a model here takes; another key is
    refused alike by the sizes and the operations (the client raises with the server's message)."""
    out = model([X.tolist(), Y.tolist()], config={"device": "cpu"})
    np.testing.assert_allclose(out[0], F[0], rtol=1e-12)
    g = model.gradient(1, 0, [X.tolist(), Y.tolist()], SENS.tolist(), config={"device": "cpu"})
    np.testing.assert_allclose(g, J[1][0] * SENS, rtol=1e-12)
    assert model.get_input_sizes({"device": "cpu"}) == [3, 3] and model.get_output_sizes({"device": "cpu"}) == [3, 3]
    with pytest.raises(Exception, match='InvalidInput: config may only hold "device"'):
        model([X.tolist(), Y.tolist()], config={"tolerance": 1e-3})
    with pytest.raises(Exception, match="unknown device 'tpu9'"):
        model([X.tolist(), Y.tolist()], config={"device": "tpu9"})
    # the umbridge client's get_input_sizes reads "inputSizes" without looking for "error" (a KeyError on any
    # refusal: its bug); the body is the protocol's error, as its reference server (umbridge.serve_models) writes it
    r = httpx.post(server.url + "/umbridge/InputSizes", json={"name": "um", "config": {"tolerance": 1e-3}})
    assert r.status_code == 400 and r.headers["content-type"] == "application/json", r.text
    assert list(r.json()) == ["error"] and sorted(r.json()["error"]) == ["message", "type"], r.text
    assert r.json()["error"]["type"] == "InvalidInput"
    assert 'config may only hold "device"' in r.json()["error"]["message"]


def test_shared_memory_is_declined_and_the_client_falls_back_to_http(server):
    """The client's shared-memory probe (POST /TestShMem) is an UnsupportedFeature here: it goes on over HTTP."""
    m = umbridge.HTTPModel(server.url + "/umbridge", "um", use_shmem=True)
    assert not m.supports_shmem()
    np.testing.assert_allclose(m([X.tolist(), Y.tolist()])[1], F[1], rtol=1e-12)
    r = httpx.post(server.url + "/umbridge/TestShMem", json={"name": "um"})
    assert r.status_code == 404 and r.json()["error"]["type"] == "UnsupportedFeature"


def test_support_is_the_models(server):
    """Integer and boolean tensors have no derivative: ModelInfo says so and such a call is UnsupportedFeature."""
    m = umbridge.HTTPModel(server.url + "/umbridge", "dtypes")
    assert m.supports_evaluate() and not m.supports_gradient()
    assert not m.supports_apply_jacobian() and not m.supports_apply_hessian()
    # one vector per input of the model (tests/oip/models.py DTYPES): negatives only where the dtype has them
    signed, unsigned, flags = [1, -2, 3, 4, 5, -6], [1, 2, 3, 4, 5, 6], [1, 0, 1, 0, 0, 1]
    x = [flags if dt == "bool" else unsigned if dt.startswith("uint") else signed for dt in DTYPES]
    out = m(x)
    assert len(out) == len(DTYPES)
    for dt, xi, oi in zip(DTYPES, x, out):
        np.testing.assert_array_equal(oi, np.logical_not(xi) if dt == "bool" else 2 * np.array(xi), err_msg=dt)
    r = httpx.post(server.url + "/umbridge/ApplyJacobian", json={"name": "dtypes"})
    assert r.status_code == 400 and r.json()["error"]["type"] == "UnsupportedFeature"
    assert "does not support ApplyJacobian" in r.json()["error"]["message"]
