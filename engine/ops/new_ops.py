"""The ops of issue #14 (models users bring), one module per family; importing registers them."""
from . import control_flow, conv, cumulative, indexing, linalg_ext, normalization, pooling, sorting  # noqa: F401
from . import vmap_op  # noqa: F401,E402  (#13: the vmap function op; engine/vmap.py)
from . import svd  # noqa: F401,E402  (singular values: matrix norms ord 2 / -2 / 'nuc'; engine/ops/svd.py)
from . import linalg_solve  # noqa: F401,E402  (cholesky, triangular_solve, solve, matrix_inverse, slogdet: engine/ops/linalg_solve.py)
from . import linalg_lu  # noqa: F401,E402  (lu (LAPACK getrf), lu_pivots_to_permutation: engine/ops/linalg_lu.py)
from . import linalg_decomp  # noqa: F401,E402  (qr, eigh (LAPACK geqrf / orgqr, syevd): engine/ops/linalg_decomp.py)
from . import linalg_eig  # noqa: F401,E402  (eig (LAPACK geev, complex outputs): engine/ops/linalg_eig.py)
from . import assignment  # noqa: F401,E402  (linear_sum_assignment: engine/ops/assignment.py)
from . import linalg_det  # noqa: F401,E402  (det, det_grad: derivatives exact at singular matrices: engine/ops/linalg_det.py)
from . import linalg_expm  # noqa: F401,E402  (matrix_exp: a scaling-and-squaring Padé composite: engine/ops/linalg_expm.py)
