"""mindspore.dataset pieces MindSpore's own dataset tests use (benchmarks/mindspore_suite/README.md, "dataset text and
map columns"): map with output_columns other than its input_columns, project, config's shared-memory flag, and
dataset.text's Vocab / Lookup / tokenizers / TextFileDataset. Expected values and texts: MindSpore 2.10 CPU runs of the
same programs (/work/ms_suite_dataset2/probe/map1-4.py, text1-3.py); the wordpiece rows are test_text_wordpiece_
tokenizer.py's own expectations (MindSpore's test data file's words)."""
import numpy as np
import pytest

import gradserve
import gradserve.dataset as ds
import gradserve.dataset.text as text


def _rows(d):
    return d.get_col_names(), [{k: v.tolist() for k, v in r.items()} for r in d.create_dict_iterator(output_numpy=True)]


def _abc():
    return ds.NumpySlicesDataset({"a": [1, 2], "b": [10, 20], "c": [100, 200]}, shuffle=False)


# MindSpore 2.10 (probe map1.py, map2.py, map4.py): (input_columns, output_columns, function) -> columns, first row
@pytest.mark.parametrize("ins, outs, fn, cols, first", [
    (["a"], ["a1", "a2"], lambda x: (x, x + 1), ["a1", "a2", "b", "c"], [1, 2, 10, 100]),
    (["b"], ["b1", "b2"], lambda x: (x, x + 1), ["b1", "b2", "a", "c"], [10, 11, 1, 100]),
    (["a", "c"], ["s"], lambda x, y: x + y, ["s", "b"], [101, 10]),
    (["c", "a"], ["s"], lambda x, y: x + y, ["s", "b"], [101, 10]),
    (["b"], ["z"], lambda x: x * 2, ["a", "z", "c"], [1, 20, 100]),
    (["c", "a"], ["p", "q"], lambda x, y: (y, x), ["q", "b", "p"], [100, 10, 1]),
    (["b"], ["a", "z"], lambda x: (x, x), ["z", "a", "c"], [10, 1, 100]),
    (["a"], ["b"], lambda x: x * 2, ["b", "c"], [2, 100]),
    (["b", "c"], ["c", "b"], lambda x, y: (x * 2, y * 3), ["a", "c", "b"], [1, 20, 300]),
    (["c"], ["p", "q", "r"], lambda x: (x, x + 1, x + 2), ["p", "q", "r", "a", "b"], [100, 101, 102, 1, 10]),
    (None, ["p", "q"], lambda x: (x, x + 1), ["p", "q", "b", "c"], [1, 2, 10, 100]),
    (None, None, lambda x: x + 1, ["a", "b", "c"], [2, 10, 100]),
])
def test_map_output_columns(ins, outs, fn, cols, first):
    d = _abc().map(fn, input_columns=ins, output_columns=outs)
    names, rows = _rows(d)
    assert names == cols and len(rows) == 2
    assert [rows[0][c] for c in cols] == first


def test_map_refusals_and_project():
    with pytest.raises(TypeError, match="^MapDataset.__init__\\(\\) got an unexpected keyword argument 'column_order'$"):
        _abc().map(lambda x: x, input_columns=["b"], output_columns=["z"], column_order=["z", "a"])
    with pytest.raises(RuntimeError, match="returned in 'map' operations: 2, the number of 'output_columns': 1.$"):
        _rows(_abc().map(lambda x: (x, x), input_columns=["b"], output_columns=["z"]))
    assert _rows(_abc().project(["c", "a"])) == (["c", "a"], [{"c": 100, "a": 1}, {"c": 200, "a": 2}])
    for bad, exc, msg in [(["q"], RuntimeError, "Invalid column, column name: q does not exist."),
                          (["a", "a"], ValueError, "Every column name should not be same with others in column_names."),
                          ([], ValueError, "columns should not be empty.")]:
        with pytest.raises(exc) as e:
            _rows(_abc().project(bad))
        assert str(e.value) == msg


def test_shared_mem_flag():
    assert ds.config.get_enable_shared_mem() is True  # (MindSpore 2.10's default)
    ds.config.set_enable_shared_mem(False)
    try:
        assert ds.config.get_enable_shared_mem() is False
        with pytest.raises(TypeError, match="^enable must be of type bool.$"):
            ds.config.set_enable_shared_mem(1)
    finally:
        ds.config.set_enable_shared_mem(True)


def test_vocab():  # MindSpore 2.10 (probe text1.py, text2.py)
    v = text.Vocab.from_list(["book", "##ite", "favor", "[UNK]"], special_tokens=["<pad>"], special_first=True)
    assert v.vocab() == {"[UNK]": 4, "favor": 3, "##ite": 2, "<pad>": 0, "book": 1}
    assert (v.tokens_to_ids("book"), v.tokens_to_ids(["book", "zz"])) == (1, [1, -1])
    assert (v.ids_to_tokens(1), v.ids_to_tokens([0, 99])) == ("book", ["<pad>", ""])
    assert text.Vocab.from_list(["a", "b"], ["<pad>", "<unk>"], False).vocab() == {"<unk>": 3, "<pad>": 2, "b": 1, "a": 0}
    assert text.Vocab.from_dict({"z": 5, "a": 2}).vocab() == {"z": 5, "a": 2}
    for fn, exc, msg in [
            (lambda: text.Vocab.from_list(["a", "a"]), ValueError, "word_list contains duplicate word: a."),
            (lambda: text.Vocab.from_list(["a"], ["a"]), ValueError,
             "special_tokens and word_list contain duplicate word :{'a'}."),
            (lambda: text.Vocab.from_dict({"a": -1}), ValueError,
             "Input word_id is not within the required interval of [0, 2147483647]."),
            (lambda: v.ids_to_tokens(-1), ValueError, "Input ids is not within the required interval of [0, 2147483647]."),
            (lambda: v.tokens_to_ids(3), TypeError, "Argument tokens with value 3 is not of type [<class 'str'>, "
             "<class 'list'>, <class 'numpy.ndarray'>], but got <class 'int'>.")]:
        with pytest.raises(exc) as e:
            fn()
        assert str(e.value) == msg
    d = ds.NumpySlicesDataset({"t": [np.array(["b", "a", "c", "a"]), np.array(["c", "c", "d", "a"])]}, shuffle=False)
    assert text.Vocab.from_dataset(d, columns=["t"]).vocab() == {"b": 2, "c": 1, "d": 3, "a": 0}
    assert text.Vocab.from_dataset(d, "t", top_k=2, special_tokens=["<s>"]).vocab() == {"c": 2, "a": 1, "<s>": 0}
    assert text.Vocab.from_dataset(d, None, freq_range=(2, 3)).vocab() == {"c": 1, "a": 0}
    assert text.Vocab.from_dataset(d, None, freq_range=(None, 2), special_tokens=["<s>"],
                                   special_first=False).vocab() == {"<s>": 2, "d": 1, "b": 0}


def _eq(got, want):
    assert len(got) == len(want)
    for g, (vals, dt) in zip(got, want):
        assert g.tolist() == vals and g.dtype == np.dtype(dt)


def test_lookup_and_tokenizers():  # MindSpore 2.10 (probe text1.py, text2.py)
    v = text.Vocab.from_list(["book", "##ite", "favor", "[UNK]"], special_tokens=["<pad>"])
    lk = text.Lookup(v, "[UNK]")
    assert lk(np.array(["book", "zz"])).tolist() == [1, 4] and lk(np.array(["book"])).dtype == np.int32
    assert text.Lookup(v, "[UNK]", data_type=gradserve.int64)(np.array(["book"])).dtype == np.int64
    with pytest.raises(RuntimeError, match="token: \"zz\" doesn't exist in vocab and no unknown token is specified"):
        text.Lookup(v)(np.array(["zz"]))
    w = text.WordpieceTokenizer(v, with_offsets=True)
    # (MindSpore keeps a failed word's found pieces' offsets: 6 offsets for 5 tokens)
    _eq(w(np.array(["favorite", "book", "what", "favorbook"])),
        [(["favor", "##ite", "book", "[UNK]", "[UNK]"], "<U5"), ([0, 5, 0, 0, 0, 0], "uint32"),
         ([5, 8, 4, 4, 5, 9], "uint32")])
    _eq(w(np.array(["bookfavor", "favorbookite"])), [(["[UNK]", "[UNK]"], "<U5"), ([0, 0, 0, 0], "uint32"),
                                                     ([4, 9, 5, 12], "uint32")])
    _eq(text.WordpieceTokenizer(v, max_bytes_per_token=4, with_offsets=True)(np.array(["favorite", "what", "book"])),
        [(["[UNK]", "[UNK]", "book"], "<U5"), ([0, 0, 0], "uint32"), ([5, 4, 4], "uint32")])
    _eq(text.WordpieceTokenizer(v, max_bytes_per_token=4, unknown_token="", with_offsets=True)(
        np.array(["favorite", "what", "book"])), [(["favorite", "what", "book"], "<U8"), ([0, 0, 0], "uint32"),
                                                  ([8, 4, 4], "uint32")])
    assert text.WordpieceTokenizer(v)("favorite").tolist() == ["favor", "##ite"]
    _eq(text.WhitespaceTokenizer(with_offsets=True)("  hi  wörld\tx\n"),
        [(["hi", "wörld", "x"], "<U5"), ([2, 6, 13], "uint32"), ([4, 12, 14], "uint32")])
    _eq(text.UnicodeCharTokenizer(with_offsets=True)("aé 我"),
        [(["a", "é", " ", "我"], "<U1"), ([0, 1, 3, 4], "uint32"), ([1, 3, 4, 7], "uint32")])


def test_text_file_dataset_wordpiece(tmp_path):
    """test_text_wordpiece_tokenizer.py's pipeline on its data's first lines (its expectations, MindSpore's)."""
    (tmp_path / "w.txt").write_text("my\nfavorite\n\nbook\nduring\n我\n", encoding="utf-8")
    vocab = text.Vocab.from_list(["book", "cholera", "era", "favor", "##ite", "my", "is", "love", "dur", "##ing",
                                  "the", "我"])
    d = ds.TextFileDataset(str(tmp_path / "*.txt"), shuffle=False)
    assert _rows(d) == (["text"], [{"text": t} for t in ["my", "favorite", "book", "during", "我"]])
    d = d.map(text.WordpieceTokenizer(vocab, with_offsets=True), input_columns=["text"],
              output_columns=["token", "offsets_start", "offsets_limit"])
    names, rows = _rows(d)
    assert names == ["token", "offsets_start", "offsets_limit"]
    assert [r["token"] for r in rows] == [["my"], ["favor", "##ite"], ["book"], ["dur", "##ing"], ["我"]]
    assert [r["offsets_limit"] for r in rows] == [[2], [5, 8], [4], [3, 6], [3]]
    it = next(iter(ds.TextFileDataset(str(tmp_path / "w.txt"), shuffle=False).create_tuple_iterator()))
    assert isinstance(it[0], np.ndarray)  # (a string column stays an array, as MindSpore's)
    with pytest.raises(ValueError, match="^The following patterns did not match any files: "):
        ds.TextFileDataset(str(tmp_path / "nope.txt"))
    (tmp_path / "v.txt").write_text("x\n", encoding="utf-8")
    with pytest.raises(NotImplementedError, match="num_parallel_workers=1"):
        ds.TextFileDataset(str(tmp_path / "*.txt"), shuffle=False)
    one_by_one = ds.TextFileDataset([str(tmp_path / "w.txt"), str(tmp_path / "v.txt")], shuffle=False,
                                    num_parallel_workers=1)  # (MindSpore 2.10, probe text3.py: name order)
    assert [r["text"] for r in _rows(one_by_one)[1]] == ["x", "my", "favorite", "book", "during", "我"]


def test_vocab_edges():  # MindSpore 2.10 (probe text4.py, text5.py)
    v = text.Vocab.from_list(["w1", "w2", "w3"], special_tokens=["<unk>"], special_first=True)
    assert (v.tokens_to_ids(np.array("w1")), v.ids_to_tokens(np.array(2))) == (1, "w2")
    assert (v.tokens_to_ids(np.array(["w1", "w3"])), v.ids_to_tokens(np.array([2, 3]))) == ([1, 3], ["w2", "w3"])
    for fn, exc, msg in [
            (lambda: text.Vocab().ids_to_tokens(2), RuntimeError, "The Vocab has not built yet, got type <class "
             "'NoneType'>. Use Vocab.from_dataset(), Vocab.from_list(), Vocab.from_file() or Vocab.from_dict() to "
             "build a Vocab."),
            (lambda: v.ids_to_tokens([2, 1.2, "abc"]), TypeError, "Argument ids[1] with value 1.2 is not of type "
             "[<class 'int'>, <class 'numpy.int64'>], but got <class 'float'>."),
            (lambda: v.tokens_to_ids([1, "w3"]), TypeError, "Argument tokens[0] with value 1 is not of type "
             "[<class 'str'>, <class 'numpy.str_'>], but got <class 'int'>."),
            (lambda: text.Vocab.from_list(["w1", "w2"], ["s1", "s1"]), ValueError,
             "special_tokens contains duplicate word: s1."),
            (lambda: text.Lookup(v, "<unk>", data_type="tldr"), TypeError, "Argument data_type with value tldr is not "
             "of type [<class 'mindspore._c_expression.typing.Type'>], but got <class 'str'>.")]:
        with pytest.raises(exc) as e:
            fn()
        assert str(e.value) == msg
    assert text.Lookup(v, "<unk>", data_type=gradserve.bool_)(np.array(["w1", "<unk>"])).tolist() == [True, False]
    for tok in (text.WhitespaceTokenizer(True), text.UnicodeCharTokenizer(True)):
        _eq(tok(""), [([""], "<U1"), ([0], "uint32"), ([0], "uint32")])
    _eq(text.WhitespaceTokenizer(True)("   "), [([""], "<U1"), ([0], "uint32"), ([0], "uint32")])
    _eq(text.WordpieceTokenizer(v, with_offsets=True)(np.array(["", "w1"])), [(["w1"], "<U2"), ([0], "uint32"),
                                                                             ([2], "uint32")])
    with pytest.raises(RuntimeError, match="Input Tensor has no data."):
        text.WordpieceTokenizer(v)(np.array([], dtype=str))


def test_take_skip_counts():  # MindSpore 2.10 (probe sk.py): refused, where a negative skip took all rows, take(0) none
    d = ds.NumpySlicesDataset([1, 2, 3], shuffle=False)
    for fn, exc, msg in [
            (lambda: d.skip(-2), ValueError, "Input count is not within the required interval of [0, 2147483647]."),
            (lambda: d.skip(1.5), TypeError, "Argument count with value 1.5 is not of type [<class 'int'>], but got "
             "<class 'float'>."),
            (lambda: d.take(-2), ValueError, "count should be either -1 or within the required interval of "
             "(0, 2147483647], got -2."),
            (lambda: d.take(0), ValueError, "count should be either -1 or within the required interval of "
             "(0, 2147483647], got 0."),
            (lambda: text.Lookup(text.Vocab.from_list(["w1"]), 123), TypeError,
             "Argument unknown_token with value 123 is not of type [<class 'str'>], but got <class 'int'>.")]:
        with pytest.raises(exc) as e:
            fn()
        assert str(e.value) == msg
    assert (d.skip(0).get_dataset_size(), d.take(-1).get_dataset_size(), d.take(2).get_dataset_size()) == (3, 3, 2)


def test_waited_ds_callback_in_train(fake):
    """test_callbacks.py's non-sink run (MindSpore 2.10 passes it; its expected events): each dataset step after the
    first waits for a train step's end, the second epoch for the first's."""
    from gradserve import Model, nn
    from gradserve.dataset.callback import WaitedDSCallback
    from gradserve.train.callback import Callback

    events = []

    class Waited(WaitedDSCallback):
        def sync_epoch_begin(self, train_run_context, ds_run_context):
            events.append(f"ds_epoch_begin_{ds_run_context.cur_epoch_num}_{ds_run_context.cur_step_num}")

        def sync_step_begin(self, train_run_context, ds_run_context):
            events.append(f"ds_step_begin_{ds_run_context.cur_epoch_num}_{ds_run_context.cur_step_num}")

    class Train(Callback):
        def epoch_end(self, run_context):
            p = run_context.original_args()
            events.append(f"ms_epoch_end_{p.cur_epoch_num}_{p.cur_step_num}")

        def step_end(self, run_context):
            p = run_context.original_args()
            events.append(f"ms_step_end_{p.cur_epoch_num}_{p.cur_step_num}")

    class Net(nn.Cell):
        def construct(self, x, y):
            return x

    waited, arr = Waited(2), [1, 2, 3, 4]
    data = ds.NumpySlicesDataset((arr, arr), column_names=["c1", "c2"], shuffle=False)
    data = data.map(operations=(lambda x: x), callbacks=waited).batch(2)
    Model(Net()).train(2, data, dataset_sink_mode=False, callbacks=[Train(), waited])
    assert events[:10] == ['ms_step_end_1_1', 'ds_step_begin_1_3', 'ms_step_end_1_2', 'ms_epoch_end_1_2',
                           'ds_epoch_begin_2_4', 'ds_step_begin_2_5', 'ms_step_end_2_3', 'ds_step_begin_2_7',
                           'ms_step_end_2_4', 'ms_epoch_end_2_4']
    ds.config.set_callback_timeout(1)
    try:  # (batch(3) with step_size 2: the step at row 3 comes before any train step: MindSpore's timeout error)
        data = ds.NumpySlicesDataset((arr, arr), column_names=["c1", "c2"], shuffle=False)
        waited = Waited(2)
        data = data.map(operations=(lambda x: x), callbacks=waited).batch(3)
        with pytest.raises(RuntimeError, match=r"RuntimeError: ds_step_begin timed out after 1 second\(s\)"):
            Model(Net()).train(2, data, dataset_sink_mode=False, callbacks=[Train(), waited])
    finally:
        ds.config.set_callback_timeout(60)
    for bad, exc, msg in [(0, ValueError, "Timeout given is not within the required range."),
                          (1.5, TypeError, "timeout isn't of type int.")]:
        with pytest.raises(exc, match=f"^{msg}$"):
            ds.config.set_callback_timeout(bad)
