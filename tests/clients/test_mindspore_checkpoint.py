"""mindspore.save_checkpoint / load_checkpoint / load_param_into_net in MindSpore's .ckpt format.
tests/clients/data/ms210_*.ckpt were written by MindSpore 2.10 (CPU) itself:

    class Block(nn.Cell): fc = nn.Dense(3, 2); scale = Parameter([1.5], name="scale")
    class Net(nn.Cell): block = Block(); emb = nn.Embedding(4, 2)
    parameter i (in net.parameters_and_names() order) = arange(size) * 0.25 - i
    ms.save_checkpoint(net, "ms210_net.ckpt")
    ms.save_checkpoint([{"name": "f64", "data": float64 [[1, -2.5]]}, {"name": "i32", "data": int32 [3, -4, 5]},
                        {"name": "i64", "data": int64 7 (0-d)}, {"name": "flag", "data": bool [True, False]}],
                       "ms210_list.ckpt")

Files written here were also loaded back by MindSpore 2.10 for this task (same names and values); the
byte-for-byte comparisons below hold that without MindSpore."""
from pathlib import Path

import numpy as np
import pytest

import gradserve as gs
from gradserve import Parameter, Tensor, nn

DATA = Path(__file__).parent / "data"
MS_NAMES = ["block.scale", "block.fc.weight", "block.fc.bias", "emb.embedding_table"]


class Block(nn.Cell):
    def __init__(self):
        super().__init__()
        self.fc = nn.Dense(3, 2)
        self.scale = Parameter(Tensor(np.array([1.5], np.float32)), name="scale")


class Net(nn.Cell):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.emb = nn.Embedding(4, 2)

    def construct(self, x):
        return self.block.fc(x) * self.block.scale


def _ms_values():
    shapes = [(1,), (2, 3), (2,), (4, 2)]
    return {n: (np.arange(np.prod(s)) * 0.25 - i).reshape(s).astype(np.float32)
            for i, (n, s) in enumerate(zip(MS_NAMES, shapes))}


def test_reads_mindsporess_file_with_full_names():
    params = gs.load_checkpoint(DATA / "ms210_net.ckpt")
    assert list(params) == MS_NAMES
    for name, want in _ms_values().items():
        assert isinstance(params[name], Parameter) and params[name].name == name
        np.testing.assert_array_equal(params[name].asnumpy(), want)


def test_reads_every_dtype_it_can_hold():
    params = gs.load_checkpoint(DATA / "ms210_list.ckpt")
    want = {"f64": np.array([[1.0, -2.5]]), "i32": np.array([3, -4, 5], np.int32), "i64": np.array(7, np.int64),
            "flag": np.array([True, False])}
    for name, w in want.items():
        got = params[name].asnumpy()
        assert got.dtype == w.dtype and got.shape == w.shape
        np.testing.assert_array_equal(got, w)


def test_load_into_net_then_save_gives_mindsporess_bytes(tmp_path):
    net = Net()
    not_loaded, unused = gs.load_param_into_net(net, gs.load_checkpoint(DATA / "ms210_net.ckpt"))
    assert not_loaded == [] and unused == []
    np.testing.assert_array_equal(net.block.fc.weight.asnumpy(), _ms_values()["block.fc.weight"])
    gs.save_checkpoint(net, tmp_path / "mine")   # '.ckpt' is added, as MindSpore does
    assert (tmp_path / "mine.ckpt").read_bytes() == (DATA / "ms210_net.ckpt").read_bytes()
    gs.save_checkpoint([{"name": "f64", "data": Tensor(np.array([[1.0, -2.5]]))},
                        {"name": "i32", "data": Tensor(np.array([3, -4, 5], np.int32))},
                        {"name": "i64", "data": Tensor(np.array(7, np.int64))},
                        {"name": "flag", "data": Tensor(np.array([True, False]))}], tmp_path / "list.ckpt")
    assert (tmp_path / "list.ckpt").read_bytes() == (DATA / "ms210_list.ckpt").read_bytes()


def test_trained_weights_round_trip_and_load_with_net(on_real_server, tmp_path):
    net = Net()
    x = Tensor(np.array([[1.0, 2.0, 3.0]], np.float32))
    step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), nn.SGD(net.trainable_params(), 0.1))
    step(x, Tensor(np.zeros((1, 2), np.float32)))
    gs.save_checkpoint(net, tmp_path / "t.ckpt", append_dict={"epoch": 3, "lr": 0.1})
    other = Net()
    loaded = gs.load_checkpoint(tmp_path / "t.ckpt", net=other)
    assert loaded["epoch"].asnumpy() == 3 and loaded["epoch"].dtype == gs.int64
    for (a, b) in zip(net.trainable_params(), other.trainable_params()):
        np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())
    np.testing.assert_array_equal(other(x).asnumpy(), net(x).asnumpy())


def test_filters_prefixes_and_crc(tmp_path):
    gs.save_checkpoint(Net(), tmp_path / "c.ckpt", crc_check=True)
    assert list(gs.load_checkpoint(tmp_path / "c.ckpt", crc_check=True, filter_prefix="emb")) == MS_NAMES[:3]
    assert list(gs.load_checkpoint(tmp_path / "c.ckpt", specify_prefix=["emb"])) == ["emb.embedding_table"]
    blob = bytearray((tmp_path / "c.ckpt").read_bytes())
    blob[40] ^= 0xFF
    (tmp_path / "bad.ckpt").write_bytes(bytes(blob))
    with pytest.raises(ValueError, match="CRC does not match"):
        gs.load_checkpoint(tmp_path / "bad.ckpt", crc_check=True)
    gs.save_checkpoint(Net(), tmp_path / "f.ckpt", choice_func=lambda n: n.startswith("block.fc"))
    assert list(gs.load_checkpoint(tmp_path / "f.ckpt")) == ["block.fc.weight", "block.fc.bias"]


def test_load_param_into_net_reports_and_refuses(tmp_path):
    net = Net()
    not_loaded, unused = gs.load_param_into_net(net, {"block.fc.bias": Tensor(np.ones(2, np.float32)),
                                                      "other": Tensor(np.ones(1, np.float32))})
    assert not_loaded == ["block.scale", "block.fc.weight", "emb.embedding_table"] and unused == ["other"]
    np.testing.assert_array_equal(net.block.fc.bias.asnumpy(), np.ones(2))
    with pytest.raises(ValueError, match=r"'block.fc.bias' has shape \[3\] in the checkpoint and \[2\]"):
        gs.load_param_into_net(net, {"block.fc.bias": Tensor(np.ones(3, np.float32))})
    with pytest.raises(TypeError, match="int32 in the checkpoint and float32"):
        gs.load_param_into_net(net, {"block.fc.bias": Tensor(np.ones(2, np.int32))})
    # strict_load=False (the default): a name that differs by a leading prefix still loads
    not_loaded, _ = gs.load_param_into_net(net.block, {"block.fc.weight": Tensor(np.zeros((2, 3), np.float32))})
    assert "fc.weight" not in not_loaded and not net.block.fc.weight.asnumpy().any()


def test_malformed_files_are_clear_errors(tmp_path):
    (tmp_path / "junk.ckpt").write_bytes(b"\x0a\xff\xff\xff\x0f" + b"x" * 10)
    with pytest.raises(ValueError, match="is not a MindSpore checkpoint"):
        gs.load_checkpoint(tmp_path / "junk.ckpt")
    cut = (DATA / "ms210_net.ckpt").read_bytes()[:-5]
    (tmp_path / "cut.ckpt").write_bytes(cut)
    with pytest.raises(ValueError, match="not a MindSpore checkpoint"):
        gs.load_checkpoint(tmp_path / "cut.ckpt")
    with pytest.raises(NotImplementedError, match="encrypted"):
        gs.save_checkpoint(Net(), tmp_path / "e.ckpt", enc_key=b"0" * 16)


def test_narrow_integers_round_trip_as_mindspore_writes_them(tmp_path):
    # MindSpore 2.10 (CPU): ms.save_checkpoint([{"name": "a", "data": int8 [1, -2]}, {"name": "b", "data":
    # uint8 [3, 200]}, {"name": "c", "data": int16 [3, -200]}], "t.ckpt") wrote exactly these bytes
    ms_bytes = (b"\n\x11\n\x01a\x12\x0c\x08\x02\x12\x04Int8\x1a\x02\x01\xfe"
                b"\n\x12\n\x01b\x12\r\x08\x02\x12\x05UInt8\x1a\x02\x03\xc8"
                b"\n\x14\n\x01c\x12\x0f\x08\x02\x12\x05Int16\x1a\x04\x03\x008\xff")
    want = {"a": np.array([1, -2], np.int8), "b": np.array([3, 200], np.uint8), "c": np.array([3, -200], np.int16)}
    gs.save_checkpoint([{"name": k, "data": Tensor(v)} for k, v in want.items()], tmp_path / "t.ckpt")
    assert (tmp_path / "t.ckpt").read_bytes() == ms_bytes
    (tmp_path / "ms.ckpt").write_bytes(ms_bytes)
    got = gs.load_checkpoint(tmp_path / "ms.ckpt")
    for name, w in want.items():
        assert got[name].asnumpy().dtype == w.dtype
        np.testing.assert_array_equal(got[name].asnumpy(), w)


def test_file_system_appends_and_a_crc_checked_load_refuses_the_file(tmp_path):
    # mindspore.common.file_system.FileSystem (MindSpore 2.10): create / open are Python's open, create_args
    # ("ab",), open_args ("rb",); bytes appended after a crc_check save make the crc-checked load a ValueError
    from gradserve.common.file_system import FileSystem
    fs = FileSystem()
    assert (fs.create_args, fs.open_args, fs.backend) == (("ab",), ("rb",), "basic")
    path = str(tmp_path / "w.ckpt")
    gs.save_checkpoint({"w": Tensor(np.ones(3, np.float32))}, path, crc_check=True)
    assert gs.load_checkpoint(path, crc_check=True)["w"].asnumpy().tolist() == [1.0, 1.0, 1.0]
    with fs.open(path, *fs.create_args) as f:
        f.write(b"111")
    with pytest.raises(ValueError):
        gs.load_checkpoint(path, crc_check=True)
    with fs.open(path, *fs.open_args) as f:
        assert f.read().endswith(b"111")
