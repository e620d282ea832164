"""service.answer_head: a job's small binary answer with its head memoised up to the timing is, byte for byte,
the full encoder's (codec.encode_response: its body and headers), call after call, whatever changes between calls."""
import numpy as np
import pytest

from service import answer_head, codec


def _full(outputs, structure, gid, device, timing):
    """codec's answer, its headers as answer_head gives them: (name, value) bytes."""
    header = {"structure": structure, "graph_id": gid, "device": device, "timing": timing}
    body, headers = codec.encode_response(header, outputs, True)
    return body, [(k.encode(), v.encode()) for k, v in headers.items()]


def _timing(k: int) -> dict:  # a timing whose length changes call by call (the head's length with it)
    return {"compute_ms": round(0.05 * k, 3), "compile_cache": "hit", "threads": 1, "lane": "inline",
            "total_ms": 10.0 ** (k % 4) / 7}


@pytest.fixture(autouse=True)
def _clear():
    answer_head._heads.clear()
    answer_head._last.clear()
    yield
    answer_head._heads.clear()
    answer_head._last.clear()


def test_memoised_answers_are_the_full_encoders_bytes():
    rng = np.random.default_rng(0)
    structure = [0, [1, {"b": 2}]]
    for k in range(6):
        outs = [("out0", np.full((), rng.normal(), np.float32)),
                ("out1", rng.normal(size=10).astype(np.float32)),
                ("grad", rng.normal(size=(3, 2)))]
        got = answer_head.encode(outs, structure, "sha256:" + "a" * 64, "cpu", _timing(k))
        assert got == _full(outs, structure, "sha256:" + "a" * 64, "cpu", _timing(k))
    assert len(answer_head._heads) == 1  # learnt once, then used


@pytest.mark.parametrize("change", ["shape", "dtype", "name", "graph_id", "device", "structure"])
def test_a_changed_layout_is_not_answered_from_another_ones_head(change):
    structure, gid, device = [0, 1], "sha256:" + "b" * 64, "cpu"
    outs = [("out0", np.zeros((), np.float32)), ("out1", np.arange(4, dtype=np.float32))]
    answer_head.encode(outs, structure, gid, device, _timing(1))
    if change == "shape":
        outs = [outs[0], ("out1", np.arange(6, dtype=np.float32).reshape(2, 3))]
    elif change == "dtype":
        outs = [outs[0], ("out1", np.arange(4, dtype=np.float64))]
    elif change == "name":
        outs = [outs[0], ("out2", outs[1][1])]
    elif change == "graph_id":
        gid = "sha256:" + "c" * 64
    elif change == "device":
        device = "cpu:0"
    else:
        structure = [0, 1]  # equal, another object: not trusted by identity
        structure[1] = [1]
    for k in range(2):
        assert answer_head.encode(outs, structure, gid, device, _timing(k)) == \
            _full(outs, structure, gid, device, _timing(k))


@pytest.mark.parametrize("change", ["shape", "dtype", "byteorder", "name", "strided", "not an array", "fewer"])
def test_a_programs_last_layout_answers_only_outputs_of_that_layout(change):
    """A program's answers after its layout is kept (`_last`, answered without the layout's key) still have each
    output checked: another shape, dtype, name, a strided view or a scalar, or fewer outputs under the same
    program take the layout path or the full encoder, whose bytes they get."""
    structure, gid, device = [0, 1], "sha256:" + "f" * 64, "cpu"

    def outs(k):
        return [("out0", np.full((), k, np.float32)), ("out1", np.arange(4, dtype=np.float32) + k)]

    for k in range(3):  # learnt, then kept as the program's last layout
        assert answer_head.encode(outs(k), structure, gid, device, _timing(k)) == \
            _full(outs(k), structure, gid, device, _timing(k))
    assert len(answer_head._last) == 1
    other = {"shape": np.arange(6, dtype=np.float32).reshape(2, 3), "dtype": np.arange(4, dtype=np.float64),
             "byteorder": np.arange(4, dtype=">f4"), "strided": np.arange(8, dtype=np.float32)[::2],
             "not an array": np.float32(3.0)}
    for k in range(3):
        got = outs(k)
        if change == "name":
            got[1] = ("grad", got[1][1])
        elif change == "fewer":
            got = got[:1]
        else:
            got[1] = ("out1", other[change] + k)
        assert answer_head.encode(got, structure, gid, device, _timing(k)) == \
            _full(got, structure, gid, device, _timing(k))
        assert answer_head.encode(outs(k), structure, gid, device, _timing(k)) == \
            _full(outs(k), structure, gid, device, _timing(k))


def test_outputs_that_are_not_plain_arrays_take_the_full_encoder():
    outs = [("out0", np.float64(2.5)), ("out1", [1.0, 2.0])]
    for k in range(2):
        assert answer_head.encode(outs, [0, 1], "g", "cpu", _timing(k)) == _full(outs, [0, 1], "g", "cpu", _timing(k))
    assert not answer_head._heads


def _placed_outputs(offsets=(0, 64), region="r0", shapes=((4, 4), (3,))):
    """Outputs a worker wrote into a client's region (InRegion) and their places, as RegionIO.taken gives them."""
    from service.client_shm import InRegion

    outs = [(f"out{i}", InRegion(off, shape, "float32")) for i, (off, shape) in enumerate(zip(offsets, shapes))]
    placed = {i: {"shared_memory_region": region, "shared_memory_offset": a.offset, "shared_memory_byte_size": a.nbytes}
              for i, (_, a) in enumerate(outs)}
    return outs, placed


def _full_placed(outputs, placed, structure, gid, device, timing):
    header = {"structure": structure, "graph_id": gid, "device": device, "timing": timing}
    body, headers = codec.encode_response(header, outputs, True, placed)
    return body, [(k.encode(), v.encode()) for k, v in headers.items()]


def test_placed_answers_are_the_full_encoders_bytes():
    structure, gid = [0, 1], "sha256:" + "d" * 64
    for k in range(5):
        outs, placed = _placed_outputs()
        got = answer_head.encode_placed(outs, placed, structure, gid, "cpu:1", _timing(k))
        assert got == _full_placed(outs, placed, structure, gid, "cpu:1", _timing(k))
        head = codec.loads(got[0])[0]
        assert [t["parameters"]["shared_memory_offset"] for t in head["outputs"]] == [0, 64]
        assert got[1] == [(b"content-type", b"application/json")]
    assert len(answer_head._heads) == 1


@pytest.mark.parametrize("change", ["offset", "region", "shape"])
def test_a_changed_place_is_not_answered_from_another_ones_head(change):
    structure, gid = [0, 1], "sha256:" + "e" * 64
    outs, placed = _placed_outputs()
    answer_head.encode_placed(outs, placed, structure, gid, "cpu", _timing(1))
    outs, placed = _placed_outputs(**{"offset": {"offsets": (0, 128)}, "region": {"region": "r1"},
                                      "shape": {"shapes": ((2, 8), (3,))}}[change])
    for k in range(2):
        assert answer_head.encode_placed(outs, placed, structure, gid, "cpu", _timing(k)) == \
            _full_placed(outs, placed, structure, gid, "cpu", _timing(k))


@pytest.mark.parametrize("make", [
    lambda k: np.arange(6, dtype=np.float32).reshape(2, 3).T + k,  # not C-contiguous
    lambda k: (np.arange(4) + k).astype(">f4"),  # big-endian: swapped on the wire
    lambda k: np.zeros((0, 3), np.float32),  # no elements
    lambda k: np.full((), k, np.float64),  # 0-d
    lambda k: np.arange(5) % (k + 2) == 0,  # bool
    lambda k: (np.arange(3) * (k + 1)).astype(codec.BF16),
    lambda k: np.arange(4, dtype=np.int64)[::2] + k,  # strided 1-D view
])
def test_outputs_joined_as_they_lie_are_the_full_encoders_bytes(make):
    """A kept layout's answers join the arrays themselves: only where that is tensor_to_bytes' bytes."""
    structure = [0, 1]
    for k in range(3):
        outs = [("out0", np.float32(k) * np.ones(2, np.float32)), ("out1", make(k))]
        assert answer_head.encode(outs, structure, "g", "cpu", _timing(k)) == _full(outs, structure, "g", "cpu",
                                                                                      _timing(k))
