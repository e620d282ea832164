import numpy as np
import gradserve as gs
from gradserve import Tensor, ops
def test_inf(on_real_server_each_transport):
    for mode in (gs.PYNATIVE_MODE, gs.GRAPH_MODE):
        gs.set_context(mode=mode)
        x = Tensor(np.array([1., 12., -1., 0.], np.float16))
        print("fwd", ops.exp(x))
        print("grad", ops.grad(lambda x: ops.exp(x).sum())(x))
        x32 = Tensor(np.array([1., 0., -1., 4.], np.float32))
        print("where", ops.grad(lambda x: ops.where(x > 0, ops.sqrt(x), x*0).sum())(x32))
        print("nan in", ops.grad(lambda x: (x*2).sum())(Tensor(np.array([np.nan, np.inf, -np.inf], np.float32))))
        print("f64", ops.grad(lambda x: (x*x).sum())(Tensor(np.array([1e-300, 1e300, 0.1+1e-17], np.float64))).asnumpy().tolist())
