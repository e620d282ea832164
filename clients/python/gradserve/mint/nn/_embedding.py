"""mint.nn.Embedding: MindSpore 2.10's EmbeddingExt (PyTorch's signature) over ops.embedding, max_norm's in-place
renorm of the rows read included."""
from __future__ import annotations

from ... import ops as _ops
from ..._cellbase import Cell
from ..._tensor import Parameter, Tensor
from ...common.initializer import Normal, initializer
from ...dtype import float32


def _typed(name: str, value, kinds: tuple):
    """MindSpore's Validator.check_value_type: a bool is no float or int here."""
    if value is not None and (isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds)):
        raise TypeError(f"For 'EmbeddingExt', the type of '{name}' should be '{kinds[0].__name__}', but got type "
                        f"'{type(value).__name__}'.")
    return value


class Embedding(Cell):
    """Embedding(num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
    scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, dtype=None): weight (N(0, 1), or
    _weight) [num_embeddings, embedding_dim]; a new weight's padding_idx row starts at zero."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, dtype=None):
        super().__init__()
        if sparse:
            raise ValueError("For Embedding, the scenerio, where `sparse` is True, has not be supported.")
        self.num_embeddings = _typed("num_embeddings", num_embeddings, (int,))
        self.embedding_dim = _typed("embedding_dim", embedding_dim, (int,))
        self.padding_idx, self.dtype = padding_idx, dtype or float32
        if _weight is None:  # (MindSpore checks padding_idx only here, where it zeroes that row)
            if padding_idx is not None and not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"For 'EmbeddingExt', the 'padding_idx' must be in range of [{-num_embeddings}, "
                                 f"{num_embeddings}), but got {padding_idx} with type 'int'.")
            data = initializer(Normal(1.0, 0.0), (num_embeddings, embedding_dim), self.dtype)._host_copy()
            if padding_idx is not None:
                data[padding_idx] = 0
            weight = Tensor(data)
        elif tuple(_weight.shape) != (num_embeddings, embedding_dim):
            raise ValueError(f"For Embedding, shape of weight should be match with num_embeddings and embedding_dim, "
                             f"but got weight.shape: {tuple(_weight.shape)}, and (num_embeddings, embedding_dim): "
                             f"({num_embeddings}, {embedding_dim})")
        else:
            weight = _weight
        self.weight = Parameter(weight, name="weight", requires_grad=not _freeze)
        self.max_norm = _typed("max_norm", max_norm, (float,))
        self.norm_type = _typed("norm_type", norm_type, (float,))
        self.scale_grad_by_freq = _typed("scale_grad_by_freq", scale_grad_by_freq, (bool,))

    def construct(self, input):  # noqa: A002 - MindSpore's name
        return _ops.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                              self.scale_grad_by_freq)
