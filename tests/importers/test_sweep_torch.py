"""Import-fidelity sweep: every zoo model through torch.export (gs.from_torch) and through
torch.onnx.export (TorchScript exporter at opsets 17 and 18, dynamo exporter at 18; gs.from_onnx);
value and gradients w.r.t. inputs and weights against torch.autograd."""
import pytest

import gradserve as gs

from gradserve.importers import UnsupportedModel

from .sweep import check_imported, match_by_value, to_onnx
from .zoo import CASES

# Exports whose ONNX model is not the torch model (checked by hand against onnx.reference: the exporter's
# bug, not ours): a wrong model fails the value check; an invalid one is refused, naming why.
EXPORTER_BUGS = {("softplus_beta_threshold", "torchscript"):
                 ("torch.onnx TorchScript exporter drops softplus' threshold: Softplus(beta x) / beta everywhere",
                  AssertionError),
                 ("cross_entropy_soft_targets_smoothing", "dynamo"):
                 ("torch.onnx dynamo exporter emits probability targets as SoftmaxCrossEntropyLoss labels (the op "
                  "takes class indices) and drops label_smoothing", UnsupportedModel),
                 ("recurrent_cells_projection", "dynamo"):
                 ("torch.onnx dynamo exporter emits nn.LSTM(proj_size=...) as an ONNX LSTM (which has no projection) "
                  "fed the projected state", UnsupportedModel)}
# ONNX has no stop-gradient: both exporters write tensor.detach() as nothing (or Identity), so a straight-through
# estimator's ONNX model has the value of torch's but not its gradient (torch.export keeps detach: checked).
_NO_STOP_GRADIENT = ("ONNX has no stop-gradient: detach() exports as Identity, the straight-through estimator's "
                     "gradient is lost in the format", AssertionError)
# torch.onnx.export writes the eval-mode model (training=TrainingMode.EVAL; the dynamo exporter folds the batch
# norm into the conv): the ONNX model of a train-mode model normalises by the running statistics.
_EVAL_EXPORT = ("torch.onnx.export exports the eval-mode model: batch norm by running statistics, not the batch's",
                AssertionError)
EXPORTER_BUGS.update({("vqvae_codebook_straight_through", "torchscript"): _NO_STOP_GRADIENT,
                      ("vqvae_codebook_straight_through", "dynamo"): _NO_STOP_GRADIENT,
                      ("resnet_stem_batchnorm_train_mode", "torchscript"): _EVAL_EXPORT,
                      ("resnet_stem_batchnorm_train_mode", "dynamo"): _EVAL_EXPORT})
# What the importers still refuse, by name (the round-4 gaps): (case, path) -> the op the refusal names.
# path: "export" (gs.from_torch) or an ONNX exporter.
# embedding_bag through dynamo: a Loop over ONNX sequences whose trip count is data (the bags' offsets)
REFUSED = {("embedding_bag_modes", "dynamo"): r"op Loop \(node .*no trip count M and the condition is not a constant-step counter",
           # the dynamo exporter writes scatter_reduce(mean, include_self=False) as plain ScatterElements over
           # repeated indices (a write per message, not their mean): undefined in ONNX, refused since round 9
           ("gcn_index_add_scatter_mean", "dynamo"): r"op ScatterElements \(node .*repeated indices",
           ("indexing_round4", "dynamo"): r"op ScatterElements \(node .*repeated indices",
           # the dynamo exporter drops cross_entropy's label_smoothing (its SoftmaxCrossEntropyLoss is the plain
           # loss: onnx.reference gives that value); the node's fx_node metadata keeps it, refused since zoo round 10
           ("cross_entropy_label_smoothing", "dynamo"): r"cross_entropy with label_smoothing=0\.1 .*dynamo exporter "
                                                        r"dropped",
           ("gpt2_block_causal_sdpa_tied_head_loss", "dynamo"): r"cross_entropy with label_smoothing=0\.1 .*dropped",
           # round 12's torch.func.hessian / grad inside forward: torch.export fails on it or bakes the example
           # input in (torch_func_transforms), refused by name since the zoo's round 9
           ("lagrangian_nn_func_hessian_euler_lagrange", "export"): r"torch\.func\.grad .*ops\.grad"}
# Models torch.export itself cannot export (torch's error, not the importer's): strict xfail, so a torch
# that learns to export them turns the case into a failure to look at.
_PACKED = ("torch.export: pack_padded_sequence's batch sizes are data (FakeTensor sizes)", TypeError)
TORCH_EXPORT_CANNOT = {"lstm_packed_padded_sequences": _PACKED, "gru_bidirectional_packed_sequences": _PACKED}
# round 7's one that torch.export fails on (neither ONNX exporter exports it either: skipped there with torch's
# reason), refused by name since zoo round 10: aten._ctc_loss's data-dependent output shape. (Its other,
# torch.autograd.grad in forward, imports since zoo round 14: checked against torch below.)
REFUSED.update({("ctc_loss_head", "export"): r"cannot trace .*aten\._ctc_loss\.Tensor has an output shape that "
                                              r"depends on tensor values.*ops\.ctc_loss"})
# Weights whose ONNX gradient differs from torch's by the format: ONNX Gather has no padding_idx, so the
# padding row of an embedding gets a gradient there (torch.export keeps padding_idx and is checked).
ONNX_FORMAT_LOSES = {"embedding_positional_encodings": {"tok.weight"},
                     # a 0-d float initializer is a constant: in ONNX a scalar nn.Parameter looks like the dynamo
                     # exporter's scalar constants (val_N: pow's exponent 2.0, GELU's 0.5), which must not be weights
                     "deeponet_branch_trunk_einsum": {"b0"},
                     # (named, it is a weight: from_onnx(..., scalar_weights=[...]), test_import_round9_leftovers.py)
                     "clip_contrastive_scalar_logit_scale": {"logit_scale"},
                     "modern_hopfield_retrieval_updates": {"beta"}}
# Exports that fold a weight into a constant on one path (same value, fewer dependencies on the weight):
# the dynamo exporter computes nn.RNN's first step h0 @ W_hh + b_hh (h0 = 0) into an initializer.
# Only the input's gradient is compared there.
FOLDED_WEIGHTS = {("bidirectional_lstm_gru_rnn", "dynamo"),
                  # weight_norm's g * v / ||v|| folded into one initializer (equal to v at init: not v's gradient)
                  ("weight_norm_parametrization", "dynamo"),
                  # the planar flow's w @ u (weights only) folded into one initializer
                  ("planar_radial_flow", "dynamo"),
                  # RWKV's 1 - mix (weights only) folded into initializers next to the mix weights
                  ("rwkv_time_mix_wkv_recurrence", "dynamo"),
                  # slot attention's initial slots (a weight) expanded and their first GRUCell step
                  # slots0 @ W_hh^T + b_hh folded into initializers: W_hh misses that step's gradient
                  ("slot_attention_iterative_gru", "dynamo")}


def _export_params():
    for name in sorted(CASES):
        cannot = TORCH_EXPORT_CANNOT.get(name)
        marks = [pytest.mark.xfail(reason=cannot[0], strict=True, raises=cannot[1])] if cannot else []
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", list(_export_params()))
def test_torch_export(fake, name):
    model, inputs = CASES[name]()
    if (name, "export") in REFUSED:
        with pytest.raises(UnsupportedModel, match=REFUSED[name, "export"]):
            gs.from_torch(model, inputs)
        return
    net = gs.from_torch(model, inputs)
    assert sorted(p.name for p in net.trainable_params()) == sorted(n for n, _ in model.named_parameters())
    assert check_imported(net, model, inputs) == len(list(model.parameters()))


# Opset 18 moved the reductions' axes to inputs and changed Split, Pad and Resize: the TorchScript
# exporter at 18 runs on the models that use them (every model at 17 and through dynamo at 18).
OPSET18 = {"batchnorm_layernorm_groupnorm_dropout", "pools", "misc_math", "activations_more", "layers_more",
           "cumsum_softmax_logsoftmax", "cross_entropy_in_model", "upsample_nearest_bilinear", "shapes",
           "tensor_ops_more", "multihead_attention", "transformer_encoder_layer", "lstm_2layer_batch_first",
           "transformer_decoder_layer_masks", "norms_without_affine", "lstm_initial_state_outputs",
           # round 6 (reductions, Split, Pad, Resize at 18)
           "convnext_block_layer_scale", "swin_shifted_window_attention", "unet_stage_convtranspose_skip_concat",
           "moe_top2_routing", "fpn_top_down_nearest_lateral", "glow_actnorm_invconv_coupling"}
# Recurrent and attention layers at the older opsets users' exports still carry (LSTM / GRU since 14).
OPSET14 = {"lstm_initial_state_outputs", "gru_initial_state_bidirectional", "transformer_decoder_layer_masks",
           "lstm_packed_padded_sequences", "gru_bidirectional_packed_sequences", "decoder_kv_cache_greedy_steps",
           "mamba_selective_scan", "wavenet_gated_causal_dilated", "mpnn_scatter_amax_index_add"}
# The dynamo exporter's default opset here (20: Gelu as one op, GridSample's linear / cubic mode names), on the
# models whose ops it writes differently there.
DYNAMO20 = {"transformer_decoder_layer_masks", "spatial_transformer_grid_sample", "norms_without_affine",
            "decoder_upsampling_head", "perceiver_latent_cross_attention", "alibi_attention_bias",
            "efficientnet_mbconv_swish_se_stride", "convnext_block_layer_scale"}


def _onnx_params():
    for name in sorted(CASES):
        for exporter, opset in (("torchscript", 14), ("torchscript", 17), ("torchscript", 18), ("dynamo", 18),
                                ("dynamo", 20)):
            if ((exporter, opset) == ("torchscript", 18) and name not in OPSET18 or opset == 14 and name not in OPSET14
                    or opset == 20 and name not in DYNAMO20):
                continue
            bug = EXPORTER_BUGS.get((name, exporter))
            marks = [pytest.mark.xfail(reason=bug[0], strict=True, raises=bug[1])] if bug else []
            yield pytest.param(name, exporter, opset, marks=marks, id=f"{name}-{exporter}-{opset}")


@pytest.mark.parametrize("name,exporter,opset", list(_onnx_params()))
def test_onnx_export(fake, name, exporter, opset):
    model, inputs = CASES[name]()
    if (name, exporter) in REFUSED:
        with pytest.raises(UnsupportedModel, match=REFUSED[name, exporter]):
            gs.from_onnx(to_onnx(model, inputs, exporter, opset))
        return
    net = gs.from_onnx(to_onnx(model, inputs, exporter, opset))
    param_of = (lambda p: (None, False)) if (name, exporter) in FOLDED_WEIGHTS else match_by_value(net, model)
    lost = ONNX_FORMAT_LOSES.get(name, set())
    compared = check_imported(net, model, inputs, lambda p: (None, False) if p.name in lost else param_of(p))
    if exporter == "torchscript" and not name.startswith(("lstm", "gru")):  # keeps every weight as it is
        assert compared == len(list(model.parameters())) - len(lost)
    if exporter == "dynamo" and not net.folded_weights:
        # nothing folded, the importer says (onnx_graph.exporter_folded): then every weight is compared
        assert compared == len(list(model.parameters())) - len(lost), (compared, len(list(model.parameters())))


def test_an_op_without_a_mapping_is_refused_naming_op_node_and_model():
    import torch

    from gradserve.importers import UnsupportedModel

    class Coins(torch.nn.Module):  # a random op: no mapping, by design
        def forward(self, x):
            return torch.bernoulli(torch.sigmoid(x)) * 2

    class Bessels(torch.nn.Module):
        def forward(self, x):
            return torch.special.scaled_modified_bessel_k0(x) * 2

    x = torch.randn(2, 3, 3)
    with pytest.raises(UnsupportedModel, match=r"op aten\.special_scaled_modified_bessel_k0\.default "
                                               r"\(node 'special_scaled_modified_bessel_k0\w*'\).*\(model 'Bessels'\)") as e:
        gs.from_torch(Bessels(), (x,))
    assert (e.value.op, e.value.model) == ("aten.special_scaled_modified_bessel_k0.default", "Bessels")
    assert e.value.node.startswith("special_scaled_modified_bessel_k0")
    with pytest.raises(UnsupportedModel,
                       match=r"op Bernoulli \(node '/Bernoulli', opset 17\).*\(model 'main_graph'\)") as e:
        gs.from_onnx(to_onnx(Coins(), (x,)))
    assert (e.value.op, e.value.node, e.value.model) == ("Bernoulli", "/Bernoulli", "main_graph")
