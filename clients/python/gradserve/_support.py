"""The MindSpore support page (docs/mindspore_support.md), generated from what the SDK exports.

    python -m gradserve._support docs/mindspore_support.md

tests/clients/test_mindspore_support_doc.py fails when the checked-in page differs from `render()`.
"""
from __future__ import annotations

import sys

# MindSpore names programs use that gradserve does not provide (yet): listed as unsupported while
# absent, and moved to the supported lists by the generator once they exist.
WANTED = {
    "ops": ["Conv2D", "MaxPool", "AvgPool", "einsum", "Einsum", "cumsum", "CumSum", "Argmax", "argmax", "TopK",
            "Sort", "Pad", "pad", "flip", "clip_by_value", "GatherNd", "ScatterNd", "OneHot", "one_hot", "Eye", "eye",
            "Zeros", "Ones", "L2Normalize", "Dropout", "dropout", "Flatten", "flatten", "Concat", "Stack", "Abs",
            "Exp", "Log", "Sqrt", "Square", "Sin", "Cos", "Tanh", "Sigmoid", "Softmax", "LogSoftmax", "MatMul",
            "BatchMatMul", "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "Cast", "Reshape",
            "Transpose", "ExpandDims", "Squeeze", "Tile", "BroadcastTo", "Gather", "Select", "ZerosLike", "OnesLike",
            "StopGradient", "Shape", "Print", "InsertGradientOf", "HyperMap", "MultitypeFuncGraph", "norm", "cdist",
            "gelu", "arange", "vmap", "Depend", "TensorScatterUpdate", "Assign", "AssignAdd", "AssignSub", "Range", "linspace",
            "Split", "UnsortedSegmentSum", "Erf", "Erfc", "Atan2", "FloorDiv", "Mod", "BiasAdd", "LayerNorm",
            "BatchNorm", "ReLU6", "LeakyReLU", "Elu", "HSwish", "Xlogy", "Complex", "Real", "Imag", "Conj", "Angle", "ComplexAbs",
            "derivative", "jet", "linearize", "HookBackward", "get_vjp", "full", "full_like", "clamp",
            "scalar_to_tensor", "xlogy", "atan2", "lerp", "true_divide", "hardtanh", "hardswish", "hardsigmoid",
            "silu", "mish", "celu", "selu", "logsigmoid", "softplus", "HSigmoid", "SeLU", "Mish", "CeLU", "cummax",
            "cummin", "topk", "sort", "ArgMaxWithValue", "ArgMinWithValue", "max", "min", "amax", "amin"],
    "amp": ["auto_mixed_precision", "custom_mixed_precision", "get_white_list", "get_black_list", "all_finite",
            "init_status", "LossScaler", "StaticLossScaler", "DynamicLossScaler", "LossScaleManager",
            "FixedLossScaleManager", "DynamicLossScaleManager", "build_train_network"],
    "nn": ["Cell", "CellList", "SequentialCell", "Dense", "ReLU", "Tanh", "Sigmoid", "Softplus", "GELU",
           "LayerNorm", "BatchNorm1d", "BatchNorm2d", "Jvp", "Vjp", "Conv1d", "Conv2d", "MaxPool2d", "AvgPool2d",
           "Dropout", "Flatten", "Embedding", "LSTM", "GRU", "SoftmaxCrossEntropyWithLogits", "MSELoss", "L1Loss",
           "SGD", "Momentum", "Adam", "WithLossCell", "TrainOneStepCell", "CellDict", "LeakyReLU", "ELU",
           "HSwish", "HSigmoid", "SiLU", "Mish", "SeLU", "CELU", "LogSigmoid", "RNN", "LSTMCell", "GRUCell",
           "RNNCell", "Accuracy", "Loss"],
    "mindspore": ["Tensor", "Parameter", "ParameterTuple", "grad", "value_and_grad", "vjp", "jvp", "jacfwd",
                  "jacrev", "vmap", "jit", "ms_function", "set_context", "get_context", "set_device", "set_seed",
                  "mutable", "GRAPH_MODE", "PYNATIVE_MODE", "float16", "float32", "float64", "int32", "int64",
                  "bool_", "int8", "int16", "uint8", "complex64", "complex128", "numpy", "export", "load",
                  "save_checkpoint", "load_checkpoint", "load_param_into_net", "Model", "COOTensor", "CSRTensor", "RowTensor"],
}
# (SoftplusGrad left the list: MindSpore 2.10 has it only as a private _grad_ops primitive, not in ops)
NOT_SUPPORTED_BEHAVIOUR = [
    "Control flow on traced values is compiled: construct, the functions given to grad / jit and the user "
    "functions they call are rewritten from their source (`if`/`elif`/`else` -> the engine's `cond`, only "
    "the taken side runs; `while` -> the engine's `while`, run at run time, at most "
    "`set_context(max_loop_trips=...)` trips, default 1000, more is an error of the run; `break` / "
    "`continue` / `return` inside loops, a tuple / list returned there too (its leaves are loop state); "
    "`return` inside `if`s, as one exit: each side traced once; in a graph (GRAPH_MODE, jit) two sides giving "
    "values of other dtypes (float32 / float64, int32 / int64, an int / a float, bool / float) are MindSpore's "
    "TypeError \"Type Join Failed: dtype1 = ..., dtype2 = ...\" naming the `if`'s line, whatever the data, and "
    "two Python ints join to a Python int; a list appended to / written in one side changes a copy of its own "
    "per side; `x[i] = v` and `x[i]` with a traced integer i; `lst[i] = v` / `lst[i:j] = [...]` at a "
    "mutable() i checks the elements as MindSpore (its TypeError / ValueError), leaves no element constant and "
    "makes a slice write dynamic-length; `for` over a range with traced bounds). Limits: "
    "`for ... else` / `while ... else` (refused, as MindSpore does); a `return` inside a `with` / `try` / "
    "`match`, and functions whose source cannot be read or that use global / nonlocal / yield, are explored "
    "by re-tracing (the function re-runs once per side of each `if` on a traced value; at most 64 branches; "
    "a `while` there is an error).",
    "dtypes other than bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float16, bfloat16, float32, "
    "float64, complex64, complex128. bfloat16 Tensors hold ml_dtypes' NumPy bfloat16 (`asnumpy()` gives one, as "
    "MindSpore 2.10 gives its own); each op computes in float32 and rounds its result once (PyTorch's CPU rule), "
    "so ops MindSpore 2.10's CPU has no bfloat16 kernel for (exp, sum...) run here.",
    "Complex tensors: orderings (comparisons, max/min, sort, relu...) refuse them (a ShapeError); gradients "
    "follow MindSpore's convention (docs/API.md, \"Complex numbers\").",
    "Parameter updates inside construct (`self.w = v`, `ops.assign`, BatchNorm's moving statistics) are "
    "written back after the call, also under grad / jvp / vmap / jacfwd / jacrev and in Cells with their own "
    "`bprop` (a value that depends on vmap's mapped inputs or on a Jacobian's inputs is a ValueError, as in "
    "MindSpore); MindSpore builds jvp and jacfwd from two passes and so runs such an update twice there, "
    "gradserve once; in PyNative mode MindSpore's backward can read a "
    "Parameter's updated value where gradserve reads the value it had when the forward read it.",
    "A custom `bprop` gives gradients for its inputs; its cell's Parameters get zero, except those in a "
    "`{Parameter: gradient}` part of its result (`return (dx,), {self.w: dw}`, PyNative; GRAPH_MODE and jit "
    "refuse a rule that reads a Parameter, as MindSpore 2.10 does).",
    "`ops.xlogy(0, y)` is 0 for every y (MindSpore's documentation, JAX, PyTorch) where MindSpore 2.10's CPU "
    "kernel gives NaN for y <= 0; its derivative in y at (0, 0) is 0 here, NaN (0 / 0) in MindSpore.",
    "`ops.div` / `/` of NaN by zero is NaN (MindSpore's documented true division, IEEE) where MindSpore 2.10's "
    "CPU kernel gives -inf (float16 / 32 / 64); other divisions by zero agree (1 / 0 inf, 0 / 0 NaN).",
    "An integer tensor compared or combined with a Python int outside its dtype's range: the int wraps into the "
    "dtype (MindSpore's documented conversion: uint8 [1, 200] + 300 is [45, 244]; == 256 compares with 0), as "
    "MindSpore 2.10 does for every operator but `<`, which its CPU build compares exactly (uint8 200 < 300 is "
    "True there, False here, as its own `<=` and `>=` agree).",
    "`ops.selu` / `nn.SeLU` for x < 0: the derivative is scale * alpha * exp(x) here; MindSpore 2.10's bprop "
    "(CPU, both modes) gives scale * (selu(x) + 1), which is not the derivative of its forward (-0.7627 at "
    "x = -4 where it is 0.0322).",
    "Dropout (`nn.Dropout`, `ops.dropout`, `ops.Dropout`, the RNNs' dropout between layers): the mask is data "
    "drawn in the client before each run (one graph for every call; the forward and backward of one call "
    "share it), from a generator `set_seed` seeds: a seeded program repeats its masks, but they are not "
    "MindSpore's bits; the op-level seeds (`seed`, `Seed0` / `Seed1`) are not used. Dropout inside `vmap` is "
    "refused (NotImplementedError; MindSpore 2.10 fails on vmap of dropout too); jacfwd / jacrev use one mask.",
    "`nn.LSTM` / `nn.GRU` / `nn.RNN` are unrolled over the input's sequence length (each length its own "
    "graph, growing with it; `seq_length` masks the steps past each sample's length). `nn.ELU` takes alpha "
    "1.0 only, as MindSpore 2.10's Elu.",
    "Checkpoints are MindSpore's .ckpt (its protobuf, read and written byte for byte as MindSpore 2.10); not "
    "supported: encryption (enc_key / dec_key), format='safetensors', MapTensor values. `Parameter.name` is one level deep inside nested "
    "cells ('fc.weight'); the checkpoint functions name Parameters by their full attribute path "
    "('block.fc.weight'), as MindSpore. `export` / `load` (MindIR) are not provided: a MindIR file is a "
    "compiled MindSpore graph, which gradserve neither produces nor runs (its graphs are gradserve.graph/1 JSON: "
    "`trace_graph`).",
    "`Model`: train / eval / predict over an iterable of (data, label) batches (or a dataset's "
    "create_tuple_iterator()), with callbacks' on_train_* / on_eval_* hooks and the metrics 'acc' / "
    "'accuracy' / 'loss' or objects with clear / update / eval; dataset_sink_mode=True is refused in eval.",
    "`mindspore.amp`: the casts are made per Cell and per op while the graph is traced (a network's level is set "
    "before its first call; marking drops the cell's cached traces). 'auto' casts the auto white list's ops to "
    "the low dtype with their results back to float32 and the auto black list's ops to float32 (MindSpore's "
    "promote list is not applied: other ops take their inputs' dtypes). `build_train_network`'s "
    "keep_batchnorm_fp32 / cast_model_type are refused (the level's own settings apply); the overflow check "
    "of TrainOneStepWithLossScaleCell runs in the client on the unscaled gradients.",
    "`ops.Mod` / `ops.mod`: the derivative in y is -trunc(x / y) (the forward's); MindSpore 2.10's bprop gives "
    "-floor(x / y) (they differ where x and y have opposite signs). `ops.L2Normalize` where sum(x^2) < epsilon: "
    "the derivative of x / sqrt(epsilon); MindSpore 2.10's bprop divides by max(|x|, epsilon) there.",
    "`nn.Momentum(use_nesterov=True)` / `ops.ApplyMomentum(use_nesterov=True)`: MindSpore's documented Nesterov "
    "rule (accum = momentum * accum + grad; var -= lr * (grad + momentum * accum)); MindSpore 2.10's CPU kernel "
    "ignores use_nesterov (plain momentum: two steps from [1, 2] with grad [1, 3], lr 0.1, momentum 0.9 give "
    "[0.71, 1.13] there, [0.539, 0.617] here and by its documentation); its GPU kernel takes the flag.",
    "`ops.PSROIPooling`: MindSpore 2.10's CPU forward (bins clipped to [0, size - 1], so they never reach the last "
    "row or column); its gradient is the derivative of that forward, where MindSpore's PSROIPoolingGrad clips to "
    "[0, size] (a box touching the last row / column gets gradient there from MindSpore, none here). rois [N, 5, R] "
    "are read in their documented layout (MindSpore's CPU kernel reads them as [N * R, 5], the same only for R = 1).",
    "`ops.tensor_scatter_mul` / `tensor_scatter_div` with a repeated index row: the derivative of the product "
    "of all its updates; MindSpore 2.10's bprop leaves the other repeats out. `ops.tensor_scatter_update` "
    "with a repeated index row: the last update wins and only it gets a gradient; MindSpore 2.10's bprop gives "
    "every repeat the position's cotangent.",
    "`ops.svd`: full_matrices=True completes u (v when wider than tall) with MindSpore 2.10 CPU's columns (Eigen's "
    "Householder Q; from 48 columns ~1e-13 apart in float64: Eigen reflects in blocks there); the singular vectors' "
    "derivatives are inf / NaN where singular values tie or (non-square input) one is zero; the singular "
    "values' (and so `ops.norm`'s ord 2, -2, 'nuc') are finite there, split equally among tied extremes. "
    "The singular vectors of a real matrix with fewer than 16 columns carry MindSpore 2.10 CPU's signs (Eigen's "
    "JacobiSVD, replayed on the host per matrix: a cost that grows with the batch); with 16 columns or more "
    "MindSpore's BDCSVD proper picks them, not replayed: LAPACK's signs there (each pair u_i, v_i may be negated "
    "against MindSpore's).",
    "`ops.cholesky` / `inverse` / `matrix_solve` / `cholesky_solve` / `slogdet`: a matrix with no "
    "Cholesky factor or no inverse gives NaN (as JAX) where MindSpore 2.10 raises; `ops.cholesky` reads the "
    "input's symmetric part (its gradient is symmetric); MindSpore 2.10's CPU build has no CholeskyGrad.",
    "`ops.det` (`Tensor.det`, `MatrixDeterminant`, `scipy.linalg.det`): its derivatives of every order are exact "
    "at singular matrices too (the first: the adjugate's transpose, as torch's), where MindSpore 2.10 gives zeros.",
    "The default mode is MindSpore 2.x's, PYNATIVE_MODE (`get_context('mode')` is 1), with its semantics "
    "(a weight asked for by name whose requires_grad is False gets zeros, hooks act, `x += y` is not in place). "
    "In PyNative mode a Cell or derivative runs its Python again on a call unless everything it read is unchanged, "
    "as MindSpore runs its Python each call (a changed attribute, class attribute, global, closure variable, "
    "sub-cell, list / dict item, set_context option or captured Tensor is seen; Python that reads an object of "
    "another class, a NumPy array or random state, or prints, runs on every call); GRAPH_MODE and `jit` functions "
    "trace once per input signature (a loop written for speed). A Tensor a GRAPH_MODE / "
    "jit trace captured and that was written in place since is read at its new value (the trace is made again); "
    "a global or closure variable rebound (a Python number, another Tensor object) is not seen by a trace made "
    "before, as MindSpore's compile cache does not key on free variables (`jit`'s hash_args, MindSpore's way to "
    "recompile on such a change, is accepted and ignored: call a new jit function instead). A Tensor written to "
    "a Cell attribute in construct (`self.last = x * 2`) holds that call's forward value after the call, also "
    "under grad / value_and_grad / GradOperation / jvp / vjp / jacrev / jacfwd, nested derivatives and in a side "
    "of a traced `if` and the construct of a Cell with its own bprop (vjp_fn does not write it again); one written "
    "inside a `while` body, a vmap or a bprop method is a TraceError naming the Cell and attribute.",
    "`print` (and `ops.print_` / `ops.Print`) in a GRAPH_MODE construct or a `jit` function prints at each call, "
    "only where the run passes it (the side taken of an `if` on a Tensor), an argument a line, a Tensor in "
    "MindSpore 2.10's Print format; one inside a `while` body on a Tensor or in a function traced for a "
    "derivative prints once, while traced (MindSpore: at each pass).",
    "An optimizer (`nn.SGD`, `nn.Adam`, ...) called in a `jit` train step or a Cell's construct "
    "(`loss, grads = grad_fn(x, y); self.optimizer(grads); return loss`) updates its Parameters after the run, on "
    "that run's gradients: the run's outputs (the loss) are those before the update, as MindSpore's, and the trace "
    "is reused. A read of one of its Parameters after the call in the same traced function is a TypeError naming "
    "it (its new value is not known while tracing).",
    "`nn.probability.distribution.Bernoulli` with probs 0 or 1 given at a call: prob / log_prob clamp them into "
    "[eps, 1 - eps] as MindSpore 2.10 does; entropy / kl_loss / cross_entropy give their limits there (entropy 0, "
    "KL(0 || 0.5) = log 2) where MindSpore 2.10 gives NaN.",
    "PyNative hooks (Tensor.register_hook, Cell.register_*_hook, ops.HookBackward, ops.InsertGradientOf) run "
    "while the program is traced: a hook that returns a new gradient is compiled into the backward graph. In a "
    "top-level grad call the gradient a hook was given becomes its real value once the call returns (a hook "
    "that stored it reads it then), and a hook that reads its gradient's value (print(g), g.asnumpy()) is run "
    "after the call instead (the first call of that hook's code also runs it while traced, up to the read; "
    "later calls only after the call, once per backward as MindSpore); all run in backward order, as in "
    "MindSpore (the last op's hooks first; a hook "
    "changing the gradient is seen by those after it); a gradient derived in the hook (g * 2) stays traced. In "
    "GRAPH_MODE Tensor hooks act as in PyNative, values included; Cell forward (pre) hooks and backward (pre) "
    "hooks act too, as MindSpore 2.10's GRAPH_MODE applies them (ops.HookBackward does nothing there, as in "
    "MindSpore), a lambda hook not alone on its source line raising MindSpore's TypeError (Parse Lambda Function "
    "Fail) and a Cell.register_backward_hook in a grad of a grad refused (MindSpore applies it in the first pass "
    "only); such a program is traced once per input "
    "signature and hook set, each call giving the hooks that store or read their gradients that call's values "
    "(a hook's Python that returns a new gradient runs once, at compile time). In a PyNative grad (or vjp) of a "
    "grad, and at a third or higher order, hooks that read or store their gradients run once per backward pass "
    "with each one's values, in MindSpore's order (a later pass only where its backward reaches the point, zeros "
    "included, middle passes of a third order too; a Tensor hooked inside a Cell backward hook, which that "
    "backward computes, the later passes alone, as MindSpore), Cell "
    "backward hooks too, those of nested cells included; in GRAPH_MODE or under a jvp they get no values: a "
    "stored gradient raises when read, a hook reading its value is refused by name (MindSpore's GRAPH_MODE and "
    "jvp refuse it). A hook returning a new gradient acts in every pass, both modes (a Cell "
    "backward hook: PyNative); one that reads its gradient and returns a new one runs in PyNative, as in "
    "MindSpore, by running the grad call again with what it returned (a call writing state or drawing random "
    "values is refused; in a grad of a grad "
    "it runs once a pass, its first time too; in a vjp of a grad the forward call runs its first pass and "
    "vjp_fn traces what it returned there again, its first time too), refused in "
    "GRAPH_MODE as MindSpore's compiler refuses it. A backward hook's grad_output of a cell with Parameters is "
    "given to read (its values after the call); a hook returning a gradient computed from it runs in a grad call "
    "and in a grad of a grad (the Parameters' gradients left as they are), and computing with it is refused in a grad "
    "of a grad's cell with hooks inside that read their gradients (reading it works). A hook that keeps or reads "
    "its gradient inside a while loop on a Tensor is refused (MindSpore calls it once a trip; one returning a new "
    "gradient acts on each trip's); removing a hook inside the traced function acts on later uses only.",
    "`Tensor.asnumpy()` shares the Tensor's memory as MindSpore 2.10's CPU array does: a write through it changes "
    "the Tensor (a Parameter, an op's result), and a reused trace that took the Tensor as a constant (a Cell "
    "attribute, a jit function's closure, a frozen Parameter) sees it on its next call, in GRAPH_MODE too (MindSpore "
    "2.10's GRAPH_MODE forward call keeps the value it compiled with; its grad sees the write). A traced Tensor's "
    "asnumpy() (a value read in PyNative) is a copy, and so is asnumpy() of a PyNative view (below: a write through it "
    "changes neither the view nor its source, as MindSpore's); a write through x.asnumpy() is seen by the views of x "
    "made before or after it, as MindSpore's. "
    "`Tensor.from_numpy(a)` shares a's memory both ways, as MindSpore's; `Tensor(a)` copies it.",
    "PyNative views share storage with their source, as MindSpore 2.10's: `x[0]`, `x[:, 1:]`, `x[None]`, `x[..., 0]`, "
    "reshape / view / flatten / ravel / view_as (of a contiguous Tensor; a transposed one's reshape is a copy), "
    "transpose / T / permute / swapaxes / movedim, expand_dims / unsqueeze / squeeze, narrow / select / diagonal, "
    "split / chunk / unbind pieces and broadcast_to / expand_as: an item assignment or an in-place method through "
    "either is seen by both, with no copy kept (gradserve._views). An item assignment with a list / mask / Tensor "
    "index gives the Tensor a buffer of its own, as MindSpore's. MindSpore 2.10's CPU in-place kernels write nothing "
    "in PyNative (`x.add_(1)` leaves x): their documented in-place semantics are followed; its negative-step views "
    "write at the wrong places on CPU: NumPy's semantics here. Inside a trace (construct, jit, grad) values are not "
    "linked (MindSpore's gradients there match: checked).",
    "The gradient of `ops.cumprod` (CumProd) is the true derivative also at zeros (torch's: d/dx of cumprod([2, 0, "
    "3, 4]).sum() is [1, 32, 0, 0]); MindSpore 2.10's CPU rule divides by the input and gives NaN there ([1, nan, "
    "0, 0]); its documentation says nothing of zeros.",
    "`ops.LSTM` (the primitive): MindSpore 2.10's CPU form, one layer (its CPU kernel refuses more), flat weights "
    "w_ih, w_hh, (w_hr), bias = b_ih + b_hh per direction; reserve and state are zeros [1, 1] (MindSpore's "
    "kernel workspaces). A w of the wrong size is a ValueError (MindSpore's CPU kernel reads past it).",
    "`ops.Betainc`: computed in float64 and rounded (MindSpore 2.10's CPU kernel computes in float32, a few ulp "
    "off); differentiable w.r.t. x to any order and w.r.t. a and b to first order (the hypergeometric series "
    "differentiated term by term), where MindSpore 2.10 returns zeros (its bprop's placeholder, not the derivative).",
    "`ops.ForiLoop(unroll=False)` (and `WhileLoop`) in GRAPH_MODE / jit with a traced index: the engine's while, "
    "differentiable to any order (second derivatives checked against finite differences); MindSpore 2.10 refuses "
    "the second order of its rolled loop.",
    "float32 sums (`ops.sum` / `ReduceSum`, `mean`, a loss's reduction='sum' such as `binary_cross_entropy`): "
    "gradserve adds in float32 in NumPy's pairwise order; MindSpore 2.10's CPU ReduceSum accumulates in float64 "
    "and rounds once (equal to that in 400 of 400 random cases), so a float32 sum can differ from MindSpore's "
    "by an ulp or a few. Matching it would mean float64 accumulation in the engine's sum kernel (twice its "
    "memory traffic on every float32 reduction), not done.",
    "`set_context(save_graphs=..., save_graphs_path=...)`: each graph compiled (a GRAPH_MODE Cell, a @jit function, "
    "`_cell_graph_executor.compile`) is written to the folder (made if missing) as one `NN_validate_MMMM.ir`, the "
    "name of MindSpore's IR file after its validate stage: the trace's nodes, each with the source lines it came "
    "from in MindSpore's `# In file PATH:LINE/SOURCE/` form (no columns), and the top function's Return; not "
    "MindSpore's IR text otherwise, nor its other stages' files (gradserve's program is the graph a trace sends: "
    "`gradserve.trace_graph(fn, inputs)` gives it, JSON). The other compiler / memory / logging options "
    "(context._MINDSPORE_ONLY) are accepted and kept for get_context but do nothing. `mindspore.train.summary` (SummaryRecord, "
    "SummaryCollector, the summary ops' event files) is not implemented: NotImplementedError when used.",
    "`TopK(sorted=False)` / `ops.topk(..., sorted=False)`: the order MindSpore 2.10's CPU kernel leaves, libstdc++'s "
    "std::nth_element arrangement (reproduced step by step, ties and NaN included: equal to MindSpore's indices "
    "on 2,154 rows); where that kernel takes other elements equal to the k-th value than the smaller indices its "
    "docs promise, the docs' indices (the same values, in place). Computed on the service's host, a Python loop "
    "per row (O(n) comparisons each).",
]


def _provided(module, name: str) -> bool:
    # a name that exists only so a program loads (a class marked _gradserve_placeholder) is not support
    return hasattr(module, name) and not getattr(getattr(module, name), "_gradserve_placeholder", False)


def _names(module, wanted) -> tuple[list[str], list[str]]:
    public = sorted(n for n in getattr(module, "__all__", dir(module)) if not n.startswith("_") and _provided(module, n))
    missing = sorted({n for n in wanted if not _provided(module, n)})
    return public, missing


def _section(title: str, names: list[str]) -> list[str]:
    return [f"### {title} ({len(names)})", "", ", ".join(f"`{n}`" for n in names) if names else "none", ""]


def render() -> str:
    import gradserve
    from gradserve import amp, nn, ops

    lines = ["# MindSpore support in the gradserve SDK", "",
             "Generated by `python -m gradserve._support docs/mindspore_support.md` from what the SDK "
             "exports (a test fails when this page is stale). A MindSpore program runs with its imports "
             "renamed (`mindspore` -> `gradserve`): the names below exist under the same modules "
             "(`gradserve.ops`, `gradserve.nn`, `gradserve.ops.functional`, `gradserve.ops.composite`, "
             "`gradserve.ops.operations`, `gradserve.common.*`, `gradserve.context`; and, re-exporting those, "
             "`gradserve.ops.function` (with `.grad.grad_func`, which also has `custom_vjp`), "
             "`gradserve.ops.composite.base`, `gradserve.ops.primitive`, `gradserve.nn.grad`, `gradserve.nn.cell`, "
             "`gradserve.nn.layer.*`, `gradserve.nn.loss`, `gradserve.nn.optim`, `gradserve.nn.wrap`, "
             "`gradserve.train` (with `.serialization`, `.callback`), "
             "`gradserve.graph.api`, `gradserve.graph.mutable`). MindSpore's internal paths "
             "`ops.operations.array_ops` / `math_ops` / `nn_ops` / `_inner_ops` / `sparse_ops` / `_grad_ops` (...) "
             "and `ops.auto_generate` (`.gen_ops_prim`, `.gen_ops_def`) hold the same objects; a name there that "
             "the SDK lacks imports and raises NotImplementedError naming it when used.", "",
             "## Supported", ""]
    missing = {}
    for title, mod, key in (("Top level (`mindspore.*`)", gradserve, "mindspore"), ("`mindspore.ops`", ops, "ops"),
                            ("`mindspore.nn`", nn, "nn"), ("`mindspore.amp`", amp, "amp")):
        public, missing[title] = _names(mod, WANTED[key])
        lines += _section(title, public)
    lines += ["## Not supported", "", "Names MindSpore programs use that the SDK does not provide "
              "(AttributeError on use; NotImplementedError for the few that exist only so a program loads):", ""]
    for title, names in missing.items():
        lines += _section(title, names)
    lines += ["Behaviour:", ""] + [f"- {b}" for b in NOT_SUPPORTED_BEHAVIOUR] + [""]
    return "\n".join(lines)


if __name__ == "__main__":
    text = render()
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
