"""Stock clients, round 19: the `umbridge` client's HTTPModel and tritonclient (HTTP, gRPC, sync and asyncio) on
the OIP suite's real server (tests/oip/conftest.py). What these found (before the fixes):

- UM-Bridge: a vector for an integer or boolean input was cast from float64 without a check: 1.5 became 1
  in an INT8 input, 300 wrapped to 44, -1 to 255 in UINT8, 0.5 and 2 read as true in a BOOL one, and
  2^62 + 1 became 2^62 in INT64 (answers 200 with silently wrong outputs); integer outputs were written as
  float64, so INT64 / UINT64 values from 2^53 on came back rounded.

Expected values: Python's integer arithmetic (exact) and NumPy on the inputs (dtypes: x + x, not x)."""
from __future__ import annotations

import asyncio
import queue
from types import SimpleNamespace

import httpx
import numpy as np
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.grpc.aio as grpcaio
import tritonclient.http as httpclient
import tritonclient.http.aio as httpaio
import umbridge  # the test extra: fail, never skip
from tritonclient.utils import InferenceServerException

from .models import DTYPES

SIGNED, UNSIGNED, FLAGS = [1, -2, 3, 4, 5, -6], [1, 2, 3, 4, 5, 6], [1, 0, 1, 0, 0, 1]


def dtypes_inputs(**given) -> list:
    """One vector per input of `dtypes` (tests/oip/models.py DTYPES), `given` replacing a dtype's."""
    return [given.get(dt, FLAGS if dt == "bool" else UNSIGNED if dt.startswith("uint") else SIGNED)
            for dt in DTYPES]


@pytest.fixture(scope="module")
def um_dtypes(server):
    return umbridge.HTTPModel(server.url + "/umbridge", "dtypes")


# -- UM-Bridge: integer and boolean inputs are exact or refused ------------------------------------------------------
@pytest.mark.parametrize("dtype, vector, says", [
    ("int8", [1.5, -2, 3, 4, 5, -6], "input[0] (INT8): a value is not an integer"),
    ("int8", [300, -2, 3, 4, 5, -6], "input[0]: a value is out of the range of INT8"),
    ("uint8", [-1, 2, 3, 4, 5, 6], "input[4]: a value is out of the range of UINT8"),
    ("int32", [2.0 ** 31, 0, 0, 0, 0, 0], "input[2]: a value is out of the range of INT32"),
    ("uint64", [2 ** 64, 0, 0, 0, 0, 0], "input[7]: a value is out of the range of UINT64"),
    ("int16", [0.25, 0, 0, 0, 0, 0], "input[1] (INT16): a value is not an integer"),
    ("bool", [0.5, 0, 1, 0, 0, 1], "input[9] (BOOL): a value is neither 0 nor 1"),
    ("bool", [2, 0, 1, 0, 0, 1], "input[9] (BOOL): a value is neither 0 nor 1"),
])
def test_umbridge_integer_and_boolean_inputs_are_refused_not_cast(um_dtypes, dtype, vector, says):
    """A plain cast answered these (1.5 -> 1, 300 -> 44, -1 -> 255, 0.5 -> true): the client raises the message."""
    with pytest.raises(Exception, match=r"InvalidInput") as e:
        um_dtypes(dtypes_inputs(**{dtype: vector}))
    assert says in str(e.value), str(e.value)


def test_umbridge_large_integers_round_trip_exactly(um_dtypes):
    """INT64 / UINT64 values past 2^53 (float64's exact integers) in and out: x + x by Python's integers."""
    big = [2 ** 61 + 1, -(2 ** 60) - 3, 2 ** 53 + 1, 7, 0, -1]
    ubig = [2 ** 62 + 1, 2 ** 63 - 1, 2 ** 53 + 1, 1, 0, 9]  # (2 * (2^63 - 1) wraps as UINT64 does: mod 2^64)
    out = um_dtypes(dtypes_inputs(int64=big, uint64=ubig))
    assert out[DTYPES.index("int64")] == [2 * v for v in big]
    assert out[DTYPES.index("uint64")] == [(2 * v) % 2 ** 64 for v in ubig]
    assert all(type(v) is int for v in out[DTYPES.index("int64")])  # JSON integers, not 4.611686018427388e18
    # the ordinary values still pass, as floats holding integers too (UM-Bridge vectors are JSON numbers)
    out = um_dtypes(dtypes_inputs(int8=[1.0, -2.0, 3.0, 4.0, 5.0, -6.0], bool=[1.0, 0.0, 1.0, 0.0, 0.0, 1.0]))
    assert out[DTYPES.index("int8")] == [2, -4, 6, 8, 10, -12]
    np.testing.assert_array_equal(out[DTYPES.index("bool")], np.logical_not(FLAGS))


def test_umbridge_large_body_integers_past_2_53_are_refused():
    """A large body's vectors arrive read as float64 (service.json_decoder): an INT64 value from 2^53 on cannot
    be told from its neighbours there, so it is refused, never rounded; smaller ones pass exactly."""
    from service import codec
    from service.umbridge import UMError, input_tensor

    aval = SimpleNamespace(shape=(2, 3), dtype="int64")
    ok = input_tensor(codec.Decoded(np.array([2.0 ** 52, -3, 0, 1, 2, 3]), None, 1), aval, "input[0]")
    np.testing.assert_array_equal(ok, np.array([[2 ** 52, -3, 0], [1, 2, 3]], np.int64))
    with pytest.raises(UMError, match=r"input\[0\] \(INT64\): a value from 2\^53 on in a body this large"):
        input_tensor(codec.Decoded(np.array([2.0 ** 53, 0, 0, 0, 0, 0]), None, 1), aval, "input[0]")
    for v in (float("nan"), float("inf")):  # (JSON's NaN / Infinity tokens; the umbridge client will not send them)
        with pytest.raises(UMError, match=r"input\[0\] \(INT64\): a value is not an integer"):
            input_tensor([v, 0, 0, 0, 0, 0], aval, "input[0]")


# -- UM-Bridge: a bfloat16 model's derivatives ------------------------------------------------------------------------
BF16_X = [1.1015625, -2.5, 0.0078125, 3.0, -0.3359375, 7.5]  # bfloat16 values
BF16_S = [1.0, 2.0, 3.0, 0.5, 0.25, -1.0]


def test_umbridge_bfloat16_model_has_its_derivatives(server):
    """bf16: f(x) = (x * x, exp(x)), x: (2, 3) bfloat16. ModelInfo said no derivatives (NumPy's kind of bfloat16
    is "V", read as "not floating-point") though the engine derives bfloat16 graphs; expected: PyTorch's
    bfloat16 autograd on the same values."""
    torch = pytest.importorskip("torch")
    m = umbridge.HTTPModel(server.url + "/umbridge", "bf16")
    assert m.supports_gradient() and m.supports_apply_jacobian() and m.supports_apply_hessian()
    x = torch.tensor(BF16_X).to(torch.bfloat16).requires_grad_()
    s, ones = torch.tensor(BF16_S).to(torch.bfloat16), torch.ones(6, dtype=torch.bfloat16)
    (g_exp,) = torch.autograd.grad(torch.exp(x), x, s)
    (g_sq,) = torch.autograd.grad(x * x, x, s, create_graph=True)
    (hv,) = torch.autograd.grad(g_sq, x, ones)
    assert m.gradient(1, 0, [BF16_X], BF16_S) == g_exp.float().tolist()
    assert m.apply_jacobian(0, 0, [BF16_X], BF16_S) == (2 * x.detach() * s).float().tolist()
    assert m.apply_hessian(0, 0, 0, [BF16_X], BF16_S, ones.float().tolist()) == hv.float().tolist()


# -- tritonclient: the calls no other test makes ----------------------------------------------------------------------
X = np.array([[0.8, 0.6, 0.2], [1.8, 1.3, 1.1]], np.float32)
Y = np.array([[0.11, 3.3, 1.1], [1.1, 0.2, 1.4], [1.1, 2.2, 0.3]], np.float32)
DX = (np.ones((2, 3), np.float32) @ Y.T)  # seed_grad: z = sum(x @ y), d/dx = ones @ y.T
CEILING = 60  # s: an answer on a loaded machine


def seed_inputs(mod) -> list:
    ins = [mod.InferInput("x", [2, 3], "FP32"), mod.InferInput("y", [3, 3], "FP32")]
    ins[0].set_data_from_numpy(X)
    ins[1].set_data_from_numpy(Y)
    return ins


def test_server_metadata_lists_the_model_configuration_extension(http, grpc_):
    """Triton names its /config and ModelConfig "model_configuration" among its extensions (client code checks
    the list before calling get_model_config); this server serves it and did not list it."""
    for exts in (http.get_server_metadata()["extensions"], list(grpc_.get_server_metadata().extensions),
                 grpc_.get_server_metadata(as_json=True)["extensions"]):
        assert {"model_configuration", "model_repository", "statistics", "binary_tensor_data",
                "system_shared_memory"} <= set(exts), exts
    assert http.get_model_config("seed_grad")["input"][0]["name"] == "x"


def test_grpc_async_infer_calls_back_and_its_deadline_is_kept(grpc_):
    got: queue.Queue = queue.Queue()
    grpc_.async_infer("seed_grad", seed_inputs(grpcclient), callback=lambda result, error: got.put((result, error)),
                      request_id="cb1", client_timeout=CEILING)
    result, error = got.get(timeout=CEILING)
    assert error is None and result.get_response().id == "cb1"
    np.testing.assert_allclose(result.as_numpy("d/dx"), DX, rtol=1e-6)
    slow = grpcclient.InferInput("x", [256, 256], "FP32")
    slow.set_data_from_numpy(np.ones((256, 256), np.float32))
    with pytest.raises(InferenceServerException) as e:  # (the client's own deadline: 1 ms for 100 matmuls)
        grpc_.infer("slow", [slow], client_timeout=0.001)
    assert e.value.status() == "StatusCode.DEADLINE_EXCEEDED"
    np.testing.assert_allclose(grpc_.infer("seed_grad", seed_inputs(grpcclient)).as_numpy("d/dx"), DX, rtol=1e-6)


def test_http_offline_body_and_response_parsing(server):
    """generate_request_body / parse_response_body: the body a user sends with their own HTTP library."""
    body, n = httpclient.InferenceServerClient.generate_request_body(
        seed_inputs(httpclient), outputs=[httpclient.InferRequestedOutput("d/dx")], request_id="off1")
    r = httpx.post(server.url + "/v2/models/seed_grad/infer", content=body,
                   headers={"Inference-Header-Content-Length": str(n)}, timeout=CEILING)
    assert r.status_code == 200, r.text
    res = httpclient.InferenceServerClient.parse_response_body(
        r.content, header_length=int(r.headers["Inference-Header-Content-Length"]))
    assert res.get_response()["id"] == "off1"
    np.testing.assert_allclose(res.as_numpy("d/dx"), DX, rtol=1e-6)


def test_asyncio_clients_every_other_call(server):
    """The asyncio clients' calls test_triton_client_calls.py's asyncio test does not make. (tritonclient 2.41's
    http.aio cannot compress a request: its module uses gzip / zlib without importing them, a NameError before
    anything is sent; its response compression works.)"""
    async def run():
        h = httpaio.InferenceServerClient(server.url.removeprefix("http://"))
        g = grpcaio.InferenceServerClient(server.grpc_target)
        try:
            for c in (h, g):
                assert await c.is_server_live() and await c.is_model_ready("seed_grad")
                assert not await c.is_model_ready("nope")
                await c.unload_model("seed_cube_eval")
                assert not await c.is_model_ready("seed_cube_eval")
                await c.load_model("seed_cube_eval")
                assert await c.is_model_ready("seed_cube_eval")
                await c.unregister_system_shared_memory()
                await c.unregister_cuda_shared_memory()
                # (answered since round 21, test_stock_round21.py; the server's default values set again: the
                # session's server is shared)
                for call in (c.get_trace_settings(), c.get_log_settings(), c.update_log_settings({"log_info": True}),
                             c.update_trace_settings(settings={"trace_rate": "1000"})):
                    assert await call
                with pytest.raises(InferenceServerException) as e:
                    await c.register_cuda_shared_memory("r", b"\0" * 64, 0, 16)
                assert e.value.status() in ("400", "StatusCode.INVALID_ARGUMENT"), str(e.value)
            assert await h.get_system_shared_memory_status() == [] == await h.get_cuda_shared_memory_status()
            assert await g.get_system_shared_memory_status(as_json=True) == {}
            assert (await h.get_model_config("seed_grad"))["input"][0]["dims"] == [2, 3]
            assert (await g.get_model_config("seed_grad", as_json=True))["config"]["input"][0]["dims"] == ["2", "3"]
            assert (await h.get_inference_statistics("seed_grad"))["model_stats"][0]["name"] == "seed_grad"
            assert (await g.get_inference_statistics("seed_grad", as_json=True))["model_stats"][0]["version"] == "1"
            outs = []
            for alg in ("gzip", "deflate"):
                r = await h.infer("seed_grad", seed_inputs(httpclient), response_compression_algorithm=alg,
                                  timeout=60_000_000)
                outs.append(r.as_numpy("d/dx"))
            return outs
        finally:
            await h.close()
            await g.close()

    for got in asyncio.run(asyncio.wait_for(run(), CEILING)):
        np.testing.assert_allclose(got, DX, rtol=1e-6)


def test_umbridge_mixed_hessian_is_in_inwrt1s_space(server):
    """ApplyHessian(o, i1, i2, sens, vec): vec in input i2's space, the answer in input i1's (UM-Bridge's
    reference server checks the answer's length against inputSizes[inWrt1]). seed_grad's graph is x @ y (z = 1)
    with x: 2 x 3, y: 3 x 3; d2(s . x @ y)/dx_ab dy_cd = s_ad [b == c], so the (x, y) block applied to v (3 x 3)
    is s @ v.T and the (y, x) block applied to w (2 x 3) is w.T @ s: different sizes, so a transposed convention
    cannot pass (the `um` model's blocks are diagonal: they cannot tell)."""
    m = umbridge.HTTPModel(server.url + "/umbridge", "seed_grad")
    x, y = np.arange(6.0) / 10, np.arange(9.0) / 7
    s, v, w = np.array([1.0, 2, 3, -1, 0.5, 2]), np.linspace(-1, 1, 9), np.linspace(2, -3, 6)
    hxy = m.apply_hessian(0, 0, 1, [x.tolist(), y.tolist()], s.tolist(), v.tolist())
    np.testing.assert_allclose(hxy, (s.reshape(2, 3) @ v.reshape(3, 3).T).ravel(), rtol=1e-6)
    hyx = m.apply_hessian(0, 1, 0, [x.tolist(), y.tolist()], s.tolist(), w.tolist())
    np.testing.assert_allclose(hyx, (w.reshape(2, 3).T @ s.reshape(2, 3)).ravel(), rtol=1e-6)
