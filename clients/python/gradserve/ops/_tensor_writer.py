"""The importers' GraphWriter over SDK Tensors: a composite written for graphs (importers/_shared/composites)
run here builds the same ops, traced or eager (ops/_householder, ops/_grid_sampler, ops/_deform_conv)."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from .._trace import apply


def writer_class():
    # (imported at call time: the importers' package imports the SDK's upper layers)
    from ..importers._shared.graph_writer import GraphWriter

    class _TensorWriter(GraphWriter):
        """The importers' GraphWriter whose nodes run at once as SDK ops (traced or eager): a name stands for
        a Tensor, so a composite written for graphs builds the same ops here."""

        def __init__(self):
            super().__init__("sdk")
            self.tensors: dict[str, Tensor] = {}

        def put(self, t: Tensor) -> str:
            self._n += 1
            name = self._unique(f"t{self._n}")
            self.avals[name] = (tuple(t.shape), t._dtype)
            self.tensors[name] = t
            return name

        def emit(self, op, ins, attrs, out_avals):
            outs = apply(op, [self.tensors[i] for i in ins], attrs)
            return [self.put(t) for t in outs]

        def const(self, value, dtype=None) -> str:
            return self.put(Tensor(np.asarray(value, dtype=dtype)))

    return _TensorWriter
