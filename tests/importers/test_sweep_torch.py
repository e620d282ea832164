"""Import-fidelity sweep: every zoo model through torch.export (gs.from_torch) and through
torch.onnx.export (TorchScript exporter, opset 17 and 18; gs.from_onnx), gradients against torch."""
import pytest

import gradserve as gs

from .sweep import check_imported, match_by_value, to_onnx
from .zoo import CASES


@pytest.mark.parametrize("name", sorted(CASES))
def test_torch_export(fake, name):
    model, inputs = CASES[name]()
    net = gs.from_torch(model, inputs)
    assert sorted(p.name for p in net.trainable_params()) == sorted(n for n, _ in model.named_parameters())
    assert check_imported(net, model, inputs) == len(list(model.parameters()))


@pytest.mark.parametrize("opset", [17])
@pytest.mark.parametrize("name", sorted(CASES))
def test_onnx_export(fake, name, opset):
    model, inputs = CASES[name]()
    net = gs.from_onnx(to_onnx(model, inputs, opset))
    check_imported(net, model, inputs, match_by_value(net, model))
