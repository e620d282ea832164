"""Round 10's leftovers: weights torch.onnx's dynamo exporter folded into constants are named to the user
(`folded_weights`, a FoldedWeightsWarning, the converter's stderr; REST: test_rest.py) and `optimize=False`
keeps the parameters (their gradients then equal torch's); the converter CLI's `--scalar-weight`."""
import json
import warnings

import numpy as np
import pytest
import torch

import gradserve as gs
from gradserve.importers import FoldedWeightsWarning

from .sweep import _torchlib_registry_built_once, check_imported
from .zoo import CASES


def _dynamo(model, inputs, **kw) -> bytes:
    with _torchlib_registry_built_once():
        return torch.onnx.export(model, tuple(inputs), dynamo=True, verbose=False, opset_version=18,
                                 **kw).model_proto.SerializeToString()


_WN = "(parameter body.{}.parametrizations.weight.original{})"


# the values the exporter computed, then (since round 11, from the graph signature) the parameters gone from the file
@pytest.mark.parametrize("name,folded", [("weight_norm_parametrization", ("mul", "mul_1") + tuple(
                                              _WN.format(i, j) for i in (0, 2) for j in (0, 1))),
                                         ("planar_radial_flow", ("matmul_1", "softplus", "softplus_1",
                                                                 "(parameter alpha)", "(parameter beta)")),
                                         # eval batch norm fused into the convolution before it (the fused weight
                                         # keeps the convolution's name): the batch norms' parameters are gone
                                         ("resnet_basic_block", tuple(f"(parameter {n})" for n in (
                                             "bn1.weight", "bn1.bias", "bn2.weight", "bn2.bias", "down.1.weight",
                                             "down.1.bias")))])
def test_dynamo_folded_weights_named_and_optimize_false_keeps_parameters(fake, name, folded):
    model, inputs = CASES[name]()
    with pytest.warns(FoldedWeightsWarning, match=r"initializers \[.*optimize=False"):
        net = gs.from_onnx(_dynamo(model, inputs))
    assert net.folded_weights == folded  # the 0-d ones (planar flow's w @ u) are constants: no gradient at all
    assert not set(folded) & {n for n, _ in model.named_parameters()}  # (a fused weight may keep a name)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FoldedWeightsWarning)
        kept = gs.from_onnx(_dynamo(model, inputs, optimize=False))
    assert kept.folded_weights == ()
    assert {p.name for p in kept.trainable_params()} == {n for n, _ in model.named_parameters()}
    assert check_imported(kept, model, inputs) == len(list(model.parameters()))  # every gradient by name


def test_no_warning_without_folding(fake):
    model, inputs = CASES["mlp_gelu"]()
    with warnings.catch_warnings():
        warnings.simplefilter("error", FoldedWeightsWarning)
        assert gs.from_onnx(_dynamo(model, inputs)).folded_weights == ()


def test_converter_cli_scalar_weight_and_folded_warning(tmp_path, capsys):
    import io

    from engine.importers.__main__ import main

    class Scaled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(3, 2)
            self.logit_scale = torch.nn.Parameter(torch.tensor(0.7))

        def forward(self, x):
            return self.logit_scale.exp() * self.lin(x)

    f = io.BytesIO()
    torch.onnx.export(Scaled(), (torch.randn(4, 3),), f, dynamo=False, do_constant_folding=False, opset_version=17)
    src, out = tmp_path / "m.onnx", tmp_path / "m.json"
    src.write_bytes(f.getvalue())
    assert main([str(src), "-o", str(out), "--scalar-weight", "logit_scale"]) == 0
    assert "logit_scale" in [p["name"] for p in json.loads(out.read_text())["params"]]
    assert main([str(src), "-o", str(out), "--scalar-weight", "lin.bias"]) == 2
    assert "scalar weight 'lin.bias'" in capsys.readouterr().err

    wn = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(3, 2)).eval()
    src.write_bytes(_dynamo(wn, (torch.randn(4, 3),)))
    assert main([str(src), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "warning: initializers ['mul', '(parameter parametrizations.weight.original0)'" in err and "optimize=False" in err


def test_from_torch_takes_an_exported_program_with_dynamic_shapes(fake):
    """A user's torch.export.export(..., dynamic_shapes=...) program imports at the example's shapes (twice, at
    two batch sizes), with torch's value and every weight's gradient by name."""
    model, inputs = CASES["galerkin_transformer_softmax_free_operator"]()
    ep = torch.export.export(model, inputs, dynamic_shapes=({0: torch.export.Dim("batch", max=64)},))
    for batch in (2, 5):
        xs = (torch.randn(batch, inputs[0].shape[1], generator=torch.Generator().manual_seed(batch)),)
        net = gs.from_torch(ep, xs)
        assert sorted(p.name for p in net.trainable_params()) == sorted(n for n, _ in model.named_parameters())
        assert check_imported(net, model, xs) == len(list(model.parameters()))
