"""System shared memory (the Open Inference Protocol / Triton extension) through the unmodified
`tritonclient.http` / `tritonclient.grpc` and `tritonclient.utils.shared_memory`, against a real server
on loopback: inputs read from and outputs written into the client's regions, values checked against
JAX; and the hostile cases (bad keys, traversal, small, removed, shrunk regions, too many regions,
non-loopback peers) answered with a 4xx while the server keeps serving."""
from __future__ import annotations

import os
import uuid

import httpx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from e2e.server import Server
from engine import GraphBuilder
from engine.serialize import graph_to_json

from .models import write_model

import tritonclient.grpc as grpcclient  # the test extra: fail, never skip
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException
# the stock utility (tritonclient 2.41, what pip resolves beside grpcio 1.85 / protobuf 7, loads its library through
# pkg_resources: the test extra keeps setuptools below 82, which removed it)
try:
    import tritonclient.utils.shared_memory as shm
except ModuleNotFoundError as e:  # (a venv installed before the pin: say how to mend it)
    raise ImportError(f"{e}: tritonclient.utils.shared_memory needs pkg_resources; reinstall the test extra "
                      "(pip install -e '.[test]': setuptools<82)") from e

pytestmark = pytest.mark.jax_x64  # float64 JAX references (tests/jax_mode.py)
F32 = np.float32
N, D, H = 64, 128, 256  # x: 32 KiB, w: 128 KiB


def mlp_net() -> dict:
    """sum(tanh(x @ w)), x: (N, D), w: (D, H)."""
    gb = GraphBuilder("shm_mlp")
    x, w = gb.input((N, D), name="x"), gb.input((D, H), name="w")
    return graph_to_json(gb.build(gb.sum(gb.tanh(gb.matmul(x, w)))))


@pytest.fixture(scope="module")
def mlp(server, repo_dir):
    write_model(repo_dir, "shm_mlp", mlp_net(), {"kind": "grad", "get_all": True})
    httpx.post(f"{server.url}/v2/repository/models/shm_mlp/load", timeout=60).raise_for_status()
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((N, D)).astype(F32), (0.1 * rng.standard_normal((D, H))).astype(F32)
    dx, dw = jax.grad(lambda x, w: jnp.sum(jnp.tanh(x @ w)), argnums=(0, 1))(x.astype(np.float64),
                                                                              w.astype(np.float64))
    return x, w, np.asarray(dx), np.asarray(dw)


def _key() -> str:
    return f"/t_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def regions():
    """make(nbytes): a fresh region by tritonclient's utility, its handle carrying its key as `_shm_key` (as the
    utility's later releases' handles do); make.destroy(h) destroys one; those left are destroyed after the test
    (once each: the utility frees its handle on destroy)."""
    made = []

    def make(nbytes: int):
        key = _key()
        h = shm.create_shared_memory_region(f"r_{uuid.uuid4().hex[:8]}", key, nbytes)
        h._shm_key = key
        made.append(h)
        return h

    def destroy(h) -> None:
        made.remove(h)
        shm.destroy_shared_memory_region(h)
    make.destroy = destroy
    yield make
    for h in made:
        try:
            shm.destroy_shared_memory_region(h)
        except shm.SharedMemoryException:  # a test removed its object itself
            pass


def _check(dx, dw, ref):
    np.testing.assert_allclose(dx, ref[2], rtol=2e-4, atol=1e-5)
    np.testing.assert_allclose(dw, ref[3], rtol=2e-4, atol=1e-5)


def test_tritonclient_http_inputs_and_outputs_in_shared_memory(server, mlp, regions):
    x, w = mlp[0], mlp[1]
    c = httpclient.InferenceServerClient(server.url.removeprefix("http://"))
    ih, oh = regions(x.nbytes + w.nbytes), regions(x.nbytes + w.nbytes)
    shm.set_shared_memory_region(ih, [x, w])
    c.register_system_shared_memory("in", ih._shm_key, x.nbytes + w.nbytes)
    c.register_system_shared_memory("out", oh._shm_key, x.nbytes + w.nbytes)
    try:
        assert {r["name"] for r in c.get_system_shared_memory_status()} >= {"in", "out"}
        assert "system_shared_memory" in c.get_server_metadata()["extensions"]
        ins = [httpclient.InferInput("x", [N, D], "FP32").set_shared_memory("in", x.nbytes),
               httpclient.InferInput("w", [D, H], "FP32").set_shared_memory("in", w.nbytes, offset=x.nbytes)]
        outs = [httpclient.InferRequestedOutput("d/dx"), httpclient.InferRequestedOutput("d/dw")]
        outs[0].set_shared_memory("out", x.nbytes)
        outs[1].set_shared_memory("out", w.nbytes, offset=x.nbytes)
        r = c.infer("shm_mlp", ins, outputs=outs)
        assert "data" not in r.get_output("d/dx") and not r.get_response().get("parameters")  # in the region
        out = r.get_output("d/dw")
        assert out["parameters"]["shared_memory_offset"] == x.nbytes
        _check(shm.get_contents_as_numpy(oh, F32, [N, D]), shm.get_contents_as_numpy(oh, F32, [D, H], x.nbytes), mlp)
        # mixed: x from shared memory, w as binary data, outputs in the response
        wi = httpclient.InferInput("w", [D, H], "FP32")
        wi.set_data_from_numpy(w)
        r = c.infer("shm_mlp", [ins[0], wi])
        _check(r.as_numpy("d/dx"), r.as_numpy("d/dw"), mlp)
    finally:
        c.unregister_system_shared_memory("in")
        c.unregister_system_shared_memory("out")
    assert not {r["name"] for r in c.get_system_shared_memory_status()} & {"in", "out"}
    c.close()


def test_tritonclient_grpc_inputs_and_outputs_in_shared_memory(server, mlp, regions):
    x, w = mlp[0], mlp[1]
    c = grpcclient.InferenceServerClient(server.grpc_target)
    ih, oh = regions(x.nbytes + w.nbytes), regions(x.nbytes + w.nbytes)
    shm.set_shared_memory_region(ih, [x, w])
    c.register_system_shared_memory("gin", ih._shm_key, x.nbytes + w.nbytes)
    c.register_system_shared_memory("gout", oh._shm_key, x.nbytes + w.nbytes)
    try:
        st = c.get_system_shared_memory_status(region_name="gin")
        assert st.regions["gin"].byte_size == x.nbytes + w.nbytes and st.regions["gin"].key == ih._shm_key
        ins = [grpcclient.InferInput("x", [N, D], "FP32"), grpcclient.InferInput("w", [D, H], "FP32")]
        ins[0].set_shared_memory("gin", x.nbytes)
        ins[1].set_data_from_numpy(w)  # mixed: raw contents for w only
        outs = [grpcclient.InferRequestedOutput("d/dx"), grpcclient.InferRequestedOutput("d/dw")]
        outs[0].set_shared_memory("gout", x.nbytes)
        r = c.infer("shm_mlp", ins, outputs=outs)
        assert r.get_output("d/dx").parameters["shared_memory_region"].string_param == "gout"
        _check(shm.get_contents_as_numpy(oh, F32, [N, D]), r.as_numpy("d/dw"), mlp)
        ins[1].set_shared_memory("gin", w.nbytes, offset=x.nbytes)
        outs[1].set_shared_memory("gout", w.nbytes, offset=x.nbytes)
        c.infer("shm_mlp", ins, outputs=outs)
        _check(shm.get_contents_as_numpy(oh, F32, [N, D]), shm.get_contents_as_numpy(oh, F32, [D, H], x.nbytes), mlp)
        with pytest.raises(InferenceServerException, match="Unable to find shared memory region: 'nope'"):
            ins[0].set_shared_memory("nope", x.nbytes)
            c.infer("shm_mlp", ins)
    finally:
        c.unregister_system_shared_memory("gin")
        c.unregister_system_shared_memory("gout")
    assert "gin" not in c.get_system_shared_memory_status().regions
    c.close()


# -- hostile clients ---------------------------------------------------------------------------------------

def _register(url, name, key, byte_size, offset=0):
    return httpx.post(f"{url}/v2/systemsharedmemory/region/{name}/register",
                      json={"key": key, "offset": offset, "byte_size": byte_size}, timeout=30)


def _infer_from(url, region, nbytes, x_shape=(N, D), offset=0):
    body = {"inputs": [{"name": "x", "shape": list(x_shape), "datatype": "FP32",
                        "parameters": {"shared_memory_region": region, "shared_memory_byte_size": nbytes,
                                       "shared_memory_offset": offset}},
                       {"name": "w", "shape": [D, H], "datatype": "FP32", "data": [0.0] * (D * H)}]}
    return httpx.post(f"{url}/v2/models/shm_mlp/infer", json=body, timeout=60)


@pytest.mark.parametrize("key, says", [
    ("../../etc/passwd", "not a plain shared-memory name"), ("/a/b", "not a plain shared-memory name"),
    ("/..", "not a plain shared-memory name"), ("", "not a plain shared-memory name"),
    ("/gs_123_abc", "server's own segments"), ("/psm_0123", "server's own segments"),
    # (an id of its own: a random one would differ between pytest-xdist's workers, which then refuse to run)
    pytest.param("/surely_not_there_" + uuid.uuid4().hex, "no shared memory object", id="a missing object")])
def test_bad_keys_are_refused(server, key, says):
    r = _register(server.url, "bad", key, 16)
    assert r.status_code == 400 and says in r.json()["error"], r.text
    assert httpx.get(f"{server.url}/v2/health/live").status_code == 200


def test_symlink_and_other_users_files_are_refused(server, tmp_path):
    target = tmp_path / "secret"
    target.write_bytes(b"x" * 64)
    link = f"t_link_{uuid.uuid4().hex[:8]}"
    os.symlink(target, f"/dev/shm/{link}")
    try:
        r = _register(server.url, "lnk", "/" + link, 16)
        assert r.status_code == 400 and "cannot open" in r.json()["error"], r.text
    finally:
        os.unlink(f"/dev/shm/{link}")


def test_region_too_small_wrong_sizes_and_unknown(server, mlp, regions):
    h = regions(1024)
    r = _register(server.url, "small", h._shm_key, 4096)
    assert r.status_code == 400 and "has 1024 bytes" in r.json()["error"], r.text
    assert _register(server.url, "small", h._shm_key, 1024).status_code == 200
    try:
        assert _register(server.url, "small", h._shm_key, 1024).status_code == 400  # already registered
        r = _infer_from(server.url, "small", 1024)  # x needs N*D*4 bytes: more than the region
        assert r.status_code == 400 and "shared_memory_byte_size 1024" in r.json()["error"] \
            and str(N * D * 4) in r.json()["error"] and "inputs[0]" in r.json()["error"], r.text
        r = _infer_from(server.url, "small", N * D * 4)
        assert r.status_code == 400 and "run past the end of region 'small'" in r.json()["error"], r.text
        r = _infer_from(server.url, "never_registered", N * D * 4)
        # (Triton's GetMemoryInfo: NOT_FOUND; test_stock_round27)
        assert r.status_code == 404 and "Unable to find shared memory region: 'never_registered'" in r.json()["error"]
        r = httpx.get(f"{server.url}/v2/systemsharedmemory/region/never_registered/status")
        assert r.status_code == 404  # (Triton's GetStatus: NOT_FOUND; test_stock_round26)
    finally:
        httpx.post(f"{server.url}/v2/systemsharedmemory/region/small/unregister")


def test_an_output_span_past_its_region_is_refused_whatever_the_answer_size(server, mlp, regions):
    """An output's shared_memory_offset + shared_memory_byte_size must lie in the region (Triton checks the declared
    span, not the answer's bytes): byte_size 2^63-1 or one past the end is a 400 naming the region, even where the
    d/dx answer itself (N*D*4 bytes) would fit; the exact span is answered."""
    x, w = mlp[0], mlp[1]
    h = regions(x.nbytes)
    assert _register(server.url, "span", h._shm_key, x.nbytes).status_code == 200
    try:
        def infer(byte_size):
            body = {"inputs": [{"name": "x", "shape": [N, D], "datatype": "FP32", "data": x.ravel().tolist()},
                               {"name": "w", "shape": [D, H], "datatype": "FP32", "data": w.ravel().tolist()}],
                    "outputs": [{"name": "d/dx", "parameters": {"shared_memory_region": "span",
                                                                "shared_memory_byte_size": byte_size}}]}
            return httpx.post(f"{server.url}/v2/models/shm_mlp/infer", json=body, timeout=60)

        for too_far in (2 ** 63 - 1, x.nbytes + 1):
            r = infer(too_far)
            assert r.status_code == 400 and "run past the end of region 'span'" in r.json()["error"], r.text
        r = infer(x.nbytes)
        assert r.status_code == 200, r.text
        np.testing.assert_allclose(shm.get_contents_as_numpy(h, F32, [N, D]), mlp[2], rtol=2e-4, atol=1e-5)
    finally:
        httpx.post(f"{server.url}/v2/systemsharedmemory/region/span/unregister")


def test_region_removed_or_shrunk_after_registration(server, mlp, regions):
    x = mlp[0]
    h = regions(x.nbytes)
    shm.set_shared_memory_region(h, [x])
    assert _register(server.url, "gone", h._shm_key, x.nbytes).status_code == 200
    try:
        assert _infer_from(server.url, "gone", x.nbytes).status_code == 200
        fd = os.open(f"/dev/shm/{h._shm_key.lstrip('/')}", os.O_RDWR)
        os.ftruncate(fd, 100)  # shrunk under the server: a mapped read would be SIGBUS
        os.close(fd)
        r = _infer_from(server.url, "gone", x.nbytes)
        assert r.status_code == 400 and "shrank to 100 bytes" in r.json()["error"], r.text
        os.unlink(f"/dev/shm/{h._shm_key.lstrip('/')}")
        r = _infer_from(server.url, "gone", x.nbytes)
        assert r.status_code == 400 and "was removed or replaced" in r.json()["error"], r.text
        assert httpx.get(f"{server.url}/v2/health/live").status_code == 200
    finally:
        httpx.post(f"{server.url}/v2/systemsharedmemory/region/gone/unregister")


@pytest.fixture(scope="module")
def open_server(tmp_path_factory, repo_dir):
    """Bound on every address, so that a peer that is not loopback can reach it; at most 2 regions."""
    s = Server(tmp_path_factory.mktemp("shm_open") / "server.log", devices="cpu",
               env={"GRADSERVE_MODEL_REPOSITORY": str(repo_dir), "GRADSERVE_CPU_WORKERS": "1",
                    "GRADSERVE_HOST": "0.0.0.0", "GRADSERVE_ALLOW_UNAUTHENTICATED": "true",
                    "GRADSERVE_CLIENT_SHM_MAX_REGIONS": "2"})
    yield s
    s.stop()


def _outside_address() -> str | None:
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent: the kernel picks the outgoing address
            addr = s.getsockname()[0]
        except OSError:
            return None
    return None if addr.startswith("127.") else addr


def test_too_many_regions(open_server, regions):
    hs = [regions(64) for _ in range(3)]
    assert _register(open_server.url, "a", hs[0]._shm_key, 64).status_code == 200
    assert _register(open_server.url, "b", hs[1]._shm_key, 64).status_code == 200
    try:
        r = _register(open_server.url, "c", hs[2]._shm_key, 64)
        assert r.status_code == 413 and "client_shm_max_regions=2" in r.json()["error"], r.text
        regions.destroy(hs[0])  # its client removed it: dropped to make room
        assert _register(open_server.url, "c", hs[2]._shm_key, 64).status_code == 200
        names = {r["name"] for r in httpx.get(f"{open_server.url}/v2/systemsharedmemory/status").json()}
        assert names == {"b", "c"}
    finally:
        httpx.post(f"{open_server.url}/v2/systemsharedmemory/unregister")


def test_peers_that_are_not_loopback_are_refused(open_server, regions):
    addr = _outside_address()
    if addr is None:
        pytest.skip("this host has no address besides loopback")
    h = regions(64)
    url = f"http://{addr}:{open_server.port}"
    assert httpx.get(f"{url}/v2/health/live").status_code == 200  # reachable from there
    r = _register(url, "far", h._shm_key, 64)
    assert r.status_code == 400 and f"this request came from {addr}" in r.json()["error"], r.text
    assert httpx.get(f"{url}/v2/systemsharedmemory/status").status_code == 400
    assert _register(open_server.url, "near", h._shm_key, 64).status_code == 200  # loopback: fine
    try:
        r = _infer_from(url, "near", N * D * 4)  # using a region is refused too
        assert r.status_code == 400 and "only for clients on the server's host" in r.json()["error"], r.text
        c = grpcclient.InferenceServerClient(f"{addr}:{open_server.grpc_port}")
        with pytest.raises(InferenceServerException, match="only for clients on the server's host"):
            c.register_system_shared_memory("farg", h._shm_key, 64)
        c.close()
    finally:
        httpx.post(f"{open_server.url}/v2/systemsharedmemory/unregister")
