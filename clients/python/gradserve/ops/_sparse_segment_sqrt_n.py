"""sparse_ops.SparseSegmentSqrtN / SparseSegmentSqrtNWithNumSegments (MindSpore 2.10): out[s] is the sum of
x[indices[k]] over the k with segment_ids[k] == s, over the square root of that count (an empty segment 0);
the sorted segment ids are read as data, as sparse_segment_mean's."""
from __future__ import annotations

import numpy as np

from ._sparse_tensor import _pattern_of, _segment_mean

__all__ = ["SparseSegmentSqrtN", "SparseSegmentSqrtNWithNumSegments"]


class SparseSegmentSqrtN:
    """SparseSegmentSqrtN()(x, indices, segment_ids): segment_ids[-1] + 1 segments."""

    def __call__(self, x, indices, segment_ids):
        ids = np.asarray(_pattern_of(segment_ids)).reshape(-1)
        if ids.size and ids[0] != 0:  # MindSpore 2.10's checks and texts
            raise ValueError("For 'SparseSegmentSqrtN', indices in 'segment_ids' should be start from 0.")
        if ids.size and not np.isin(np.diff(ids), (0, 1)).all():
            raise ValueError("For 'SparseSegmentSqrtN', segment_ids should be sorted and contiguous.")
        return _segment_mean(x, indices, segment_ids, None, "SparseSegmentSqrtN", root=True)


class SparseSegmentSqrtNWithNumSegments:
    """SparseSegmentSqrtNWithNumSegments()(x, indices, segment_ids, num_segments)."""

    def __call__(self, x, indices, segment_ids, num_segments):
        n = int(np.asarray(_pattern_of(num_segments)).reshape(-1)[0])
        return _segment_mean(x, indices, segment_ids, n, "SparseSegmentSqrtNWithNumSegments", root=True)
