"""engine.ir.tree_flatten: the leaves of nested tuples and lists (namedtuples too), in order; anything else is
one leaf. Every job's outputs go through it (service.inline: once a call)."""
from collections import namedtuple

import numpy as np

from engine.ir import tree_flatten, tree_unflatten

Pair = namedtuple("Pair", "x y")


def test_leaves_in_order_whatever_the_nesting():
    a, b, c, d = (np.full(2, k) for k in range(4))
    m = {"k": a}
    cases = [((a, b, c), [a, b, c]), ([a, (b, [c, (d,)])], [a, b, c, d]), ((a, (b, c, d)), [a, b, c, d]),
             (Pair(a, (b, c)), [a, b, c]), ((Pair(a, b), [], (c,)), [a, b, c]), (a, [a]), ((), []), ([[]], []),
             (m, [m])]
    for tree, want in cases:
        got = tree_flatten(tree)
        assert type(got) is list and len(got) == len(want) and all(x is y for x, y in zip(got, want)), tree
        assert got is not tree


def test_unflatten_inverts_it():
    tree = (1, [2, (3, 4)], 5)
    assert tree_unflatten(tree, tree_flatten(tree)) == (1, (2, (3, 4)), 5)
