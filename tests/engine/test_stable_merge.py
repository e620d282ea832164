"""engine/ops/stable_merge.py (libstdc++'s std::stable_sort steps): on totally ordered keys it must give the one
stable order (NumPy's stable argsort, an independent implementation), for every length through several merge passes;
its NaN orders are MindSpore 2.10's, checked in tests/clients/test_mindspore_left26.py."""
import numpy as np

from engine.ops.stable_merge import arrange


def test_stable_merge_is_a_stable_sort_on_ordered_keys():
    rng = np.random.default_rng(26)
    for n in list(range(0, 40)) + [99, 100, 257]:
        v = rng.integers(0, 6, n).tolist()  # many ties: stability shows
        assert arrange(n, lambda i, j: v[i] < v[j]) == np.argsort(v, kind="stable").tolist()
        assert arrange(n, lambda i, j: v[i] > v[j]) == np.argsort(-np.array(v), kind="stable").tolist()


def test_stable_merge_nan_order_is_libstdcxx_steps():
    # MindSpore 2.10 CPU ops.sort (its kernel calls std::stable_sort): [1, nan, 3, 2] -> indices [0, 1, 3, 2],
    # descending [2, 3, 0, 1] (/work/ms_suite_left26/p2.py)
    v = [1.0, float("nan"), 3.0, 2.0]
    assert arrange(4, lambda i, j: v[i] < v[j]) == [0, 1, 3, 2]
    assert arrange(4, lambda i, j: v[i] > v[j]) == [2, 3, 0, 1]
