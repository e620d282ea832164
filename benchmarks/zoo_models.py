"""The real models of benchmarks/model_zoo_sweep.py: torchvision / timm / transformers built from their own
constructors or small random configs (no download: pretrained weights are not needed to check gradients),
and flax linen modules. Each `build()` returns (torch module in eval mode, example inputs) or, for flax,
(fn(params, x), params, x); a missing package raises ImportError (the sweep lists the model as skipped)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

TORCH_PATHS = ("export", "onnx-ts", "onnx-dynamo")


@dataclass
class Case:
    name: str
    family: str
    build: Callable
    paths: tuple = field(default=TORCH_PATHS)
    note: str = ""


def _seed():
    import torch

    torch.manual_seed(0)
    return torch


def _torchvision():
    """torchvision; its PyPI wheel is built against CUDA torch, so on a CPU torch its C++ ops (nms) are missing
    and its fake-op registrations fail at import: define the two schemas it registers fakes for (the models
    here never call them)."""
    import torch

    try:
        import torchvision
    except RuntimeError as e:
        if "torchvision::nms" not in str(e):
            raise
        for key in list(__import__("sys").modules):
            if key.startswith("torchvision"):
                del __import__("sys").modules[key]
        lib = torch.library.Library("torchvision", "DEF")  # noqa: F841 - kept alive by the registry
        lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        lib.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        _torchvision.lib = lib
        import torchvision
    return torchvision


def _image(torch, size=32, batch=1):
    return torch.randn(batch, 3, size, size)


def _wrap(model, pick, keywords=None):
    """A module returning `pick` of the model's output (a dict / tuple / transformers output), the inputs passed
    by the names `keywords` when given (else positionally)."""
    import torch

    class Picked(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, *xs):
            return pick(self.model(**dict(zip(keywords, xs))) if keywords else self.model(*xs))

    return Picked().eval()


def tv(name, size=32, pick=None, **kw):
    def build():
        torch = _seed()
        m = getattr(_torchvision().models, name)(weights=None, **kw).eval()
        if pick is not None:
            m = _wrap(m, pick)
        return m, (_image(torch, size),)
    return build


def tv_video(name):
    def build():
        torch = _seed()
        return getattr(_torchvision().models.video, name)(weights=None).eval(), _video(torch)
    return build


def tv_seg(name, size=64):
    def build():
        torch = _seed()
        m = getattr(_torchvision().models.segmentation, name)(weights=None, weights_backbone=None,
                                                              aux_loss=False).eval()
        return _wrap(m, lambda d: d["out"]), (_image(torch, size),)
    return build


def tv_raft():
    def build():
        torch = _seed()
        m = _torchvision().models.optical_flow.raft_small(weights=None).eval()

        class Raft(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.raft = m

            def forward(self, a, b):
                return self.raft(a, b, num_flow_updates=2)[-1]
        return Raft().eval(), (_image(torch, 128), _image(torch, 128))  # its pyramid needs 16 x 16 features
    return build


def _python_nms():
    """torchvision's nms where its C++ ops are missing (the CPU torch here): a greedy NMS in torch for eager runs
    and a fake of data-dependent length for torch.export, so that detectors run and their export says what it
    meets (the kept boxes' count depends on their values)."""
    import torch

    tv = _torchvision()
    if getattr(_python_nms, "done", False) or not hasattr(_torchvision, "lib"):
        return tv

    def nms(boxes, scores, iou_threshold):
        area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        gone = torch.zeros(len(boxes), dtype=torch.bool)
        keep = []
        for i in scores.argsort(descending=True).tolist():
            if not gone[i]:
                keep.append(i)
                lo, hi = torch.maximum(boxes[i, :2], boxes[:, :2]), torch.minimum(boxes[i, 2:], boxes[:, 2:])
                inter = (hi - lo).clamp(min=0).prod(1)
                gone |= inter / (area[i] + area - inter) > iou_threshold
        return torch.tensor(keep, dtype=torch.long)

    def fake(boxes, scores, iou_threshold):
        return boxes.new_empty((torch.library.get_ctx().new_dynamic_size(),), dtype=torch.long)
    _torchvision.lib.impl("nms", nms, "CPU")
    torch.library.register_fake("torchvision::nms", fake, lib=_torchvision.lib)
    tv.extension._has_ops = lambda: True
    _python_nms.done = True
    return tv


def tv_detector(name, size, head_only: bool):
    """A torchvision detector on one image: the whole model (its boxes and scores after NMS: data-dependent), or
    its backbone and head (the raw per-anchor outputs, static: what gradients of a detector's loss go through)."""
    def build():
        torch = _seed()
        tv = _python_nms()
        m = getattr(tv.models.detection, name)(weights=None, weights_backbone=None).eval()

        class Detector(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.m = m

            def forward(self, x):
                if not head_only:
                    d = self.m(list(x))[0]
                    return d["boxes"], d["scores"]
                feats = self.m.backbone(x)
                feats = list(feats.values()) if isinstance(feats, dict) else [feats]
                if hasattr(self.m, "rpn"):  # Faster R-CNN: the region proposal head
                    objectness, deltas = self.m.rpn.head(feats)
                    return tuple(objectness + deltas)
                out = self.m.head(feats)
                return out["bbox_regression"], out["cls_logits"]
        return Detector().eval(), (_image(torch, size),)
    return build


def _uncached_attention_biases(model):
    """timm's LeViT / EfficientViT / EfficientFormer cache their attention biases in eval mode after the first
    call: torch.export then records the cached tensor as a constant (no gradient reaches attention_biases),
    while eager autograd still reaches them through the cache. Read them afresh on every call, as in training."""
    for m in model.modules():
        if hasattr(m, "attention_bias_cache"):
            m.get_attention_biases = (lambda mod: lambda device: mod.attention_biases[:, mod.attention_bias_idxs])(m)
    return model


def timm_model(name, size=32, fused_attn=True, **kw):
    """A timm model; fused_attn=False builds its attention as matmul + softmax (timm's own switch) instead of
    F.scaled_dot_product_attention."""
    def build():
        torch = _seed()
        _torchvision()
        import timm
        from timm.layers import config

        before = config._USE_FUSED_ATTN
        config.set_fused_attn(fused_attn)
        try:
            model = timm.create_model(name, pretrained=False, **kw).eval()
        finally:
            config._USE_FUSED_ATTN = before
        return _uncached_attention_biases(model), \
            (_image(torch, size),)
    return build


def hf(config_name, model_name, inputs, keywords=None, **cfg):
    """A transformers model from a small random config; `inputs(torch, config)` -> example inputs, passed
    by the names `keywords` when given (else positionally)."""
    def build():
        torch = _seed()
        _torchvision()  # transformers imports it when it is installed
        import transformers

        config = getattr(transformers, config_name)(**cfg)
        m = getattr(transformers, model_name)(config).eval()
        return _wrap(m, lambda o: o.last_hidden_state, keywords), inputs(torch, config)
    return build


def _ids(torch, config, n=8):
    return (torch.randint(0, config.vocab_size, (1, n)),)


def _ids_pair(torch, config):
    return (torch.randint(0, config.vocab_size, (1, 8)), torch.randint(0, config.vocab_size, (1, 5)))


def _pixels(torch, config):
    return (_image(torch, config.image_size),)


def _audio(torch, config):
    return (torch.randn(1, 400),)


def _video(torch):
    return (torch.randn(1, 3, 4, 32, 32),)


def _whisper(torch, config):
    return (torch.randn(1, config.num_mel_bins, 2 * config.max_source_positions),
            torch.randint(0, config.vocab_size, (1, 4)))


_GQA_TS = ("onnx-ts: torch's, not our export call: the TorchScript exporter's scaled_dot_product_attention conversion "
           "(torch.onnx symbolic_opset14) asserts on enable_gqa=True, which transformers passes to SDPA when there is no "
           "attention mask (use_gqa_in_sdpa); llama_eager_attention is the workaround")
_VIEW_OF_TRANSPOSE = ("dynamo: torch's, not ours: run_decompositions' scaled_dot_product_attention decomposition leaves an "
                      "output whose transpose + reshape becomes a view of a non-contiguous tensor (ValueError: Cannot "
                      "view a tensor ...; pytorch/pytorch#136543); with eager (unfused) attention it exports and "
                      "imports (next row)")
_SWIN = dict(image_size=32, patch_size=4, embed_dim=16, depths=[1, 1], num_heads=[2, 4], window_size=4)
_BEIT = dict(image_size=32, patch_size=8, use_relative_position_bias=True, hidden_size=32, num_hidden_layers=2,
             num_attention_heads=4, intermediate_size=64)
_EAGER_DYNAMO = "attn_implementation='eager': the dynamo exporter takes it (its SDPA row above fails in torch)"
_T5 = dict(d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4, vocab_size=100)
_DETR = dict(use_timm_backbone=False, use_pretrained_backbone=False, d_model=32, encoder_layers=1, decoder_layers=1,
             encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64,
             num_queries=10, backbone_config=dict(model_type="resnet", embedding_size=16, hidden_sizes=[16, 16, 32, 32],
                                                  depths=[1, 1, 1, 1], layer_type="basic", out_features=["stage4"]))
_SMALL = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64, vocab_size=100)
_DECODER = dict(_SMALL, num_key_value_heads=2, max_position_embeddings=64)


def flax_case(kind):
    def build():
        import flax.linen as fnn
        import jax
        import jax.numpy as jnp

        if kind == "mlp":
            class M(fnn.Module):
                @fnn.compact
                def __call__(self, x):
                    return fnn.Dense(3)(fnn.gelu(fnn.Dense(16)(fnn.tanh(fnn.Dense(16)(x)))))
            x = jnp.ones((4, 8)) * jnp.linspace(-1, 1, 8)
        elif kind == "cnn":
            class M(fnn.Module):
                @fnn.compact
                def __call__(self, x):
                    x = fnn.relu(fnn.Conv(8, (3, 3))(x))
                    x = fnn.avg_pool(x, (2, 2), strides=(2, 2))
                    x = fnn.LayerNorm()(fnn.Conv(8, (3, 3), strides=2)(x))
                    return fnn.Dense(5)(x.reshape(x.shape[0], -1))
            x = jax.random.normal(jax.random.PRNGKey(1), (2, 12, 12, 3))
        elif kind == "resnet":  # eval-mode batch norm (running statistics), a residual, a transposed conv
            class M(fnn.Module):
                @fnn.compact
                def __call__(self, x):
                    h = fnn.relu(fnn.BatchNorm(use_running_average=True)(fnn.Conv(6, (3, 3))(x)))
                    h = fnn.BatchNorm(use_running_average=True)(fnn.Conv(6, (3, 3))(h))
                    x = fnn.relu(h + fnn.Conv(6, (1, 1))(x))
                    x = fnn.ConvTranspose(4, (2, 2), strides=(2, 2))(fnn.max_pool(x, (2, 2), strides=(2, 2)))
                    return fnn.Dense(3)(jnp.mean(x, axis=(1, 2)))
            x = jax.random.normal(jax.random.PRNGKey(1), (2, 8, 8, 3))
        elif kind == "gru":  # a scanned recurrence (lax.scan) over 5 steps
            class M(fnn.Module):
                @fnn.compact
                def __call__(self, x):
                    return fnn.Dense(2)(fnn.RNN(fnn.GRUCell(features=8))(x)[:, -1])
            x = jax.random.normal(jax.random.PRNGKey(1), (3, 5, 4))
        else:
            class M(fnn.Module):
                @fnn.compact
                def __call__(self, x):
                    h = fnn.LayerNorm()(x)
                    x = x + fnn.MultiHeadDotProductAttention(num_heads=2)(h, h)
                    h = fnn.LayerNorm()(x)
                    return x + fnn.Dense(16)(fnn.gelu(fnn.Dense(32)(h)))
            x = jax.random.normal(jax.random.PRNGKey(1), (2, 6, 16))
        m = M()
        params = m.init(jax.random.PRNGKey(0), x)
        return (lambda p, z: m.apply(p, z)), params, x
    return build


def flax_case_more(kind):
    """Round 5's flax.linen modules: an LSTM (lax.scan), causal self-attention with flax's own mask, a UNet
    stage (GroupNorm, SiLU, strided conv down, transposed conv up, skip concat)."""
    def build():
        import flax.linen as fnn
        import jax

        if kind == "lstm":
            class M(fnn.Module):
                @fnn.compact
                def __call__(self, x):
                    return fnn.Dense(2)(fnn.RNN(fnn.OptimizedLSTMCell(features=8))(x)[:, -1])
            x = jax.random.normal(jax.random.PRNGKey(1), (3, 5, 4))
        elif kind == "causal_attention":
            class M(fnn.Module):
                @fnn.compact
                def __call__(self, x):
                    mask = fnn.make_causal_mask(x[..., 0])
                    return x + fnn.SelfAttention(num_heads=4, qkv_features=16)(fnn.RMSNorm()(x), mask=mask)
            x = jax.random.normal(jax.random.PRNGKey(1), (2, 6, 16))
        else:
            class M(fnn.Module):
                @fnn.compact
                def __call__(self, x):
                    h = fnn.Conv(8, (3, 3))(fnn.silu(fnn.GroupNorm(num_groups=1)(x)))
                    d = fnn.Conv(8, (3, 3), strides=(2, 2))(fnn.silu(fnn.GroupNorm(num_groups=4)(h)))
                    u = fnn.ConvTranspose(8, (2, 2), strides=(2, 2))(d)
                    return fnn.Conv(3, (1, 1))(jax.numpy.concatenate([h, u], -1))
            x = jax.random.normal(jax.random.PRNGKey(1), (2, 8, 8, 3))
        m = M()
        params = m.init(jax.random.PRNGKey(0), x)
        return (lambda p, z: m.apply(p, z)), params, x
    return build


CASES = [
    Case("resnet18", "torchvision", tv("resnet18")),
    Case("mobilenet_v3_small", "torchvision", tv("mobilenet_v3_small")),
    Case("efficientnet_b0", "torchvision", tv("efficientnet_b0")),
    Case("vit_b_16", "torchvision", tv("vit_b_16", image_size=32),
         note="image_size=32; 86 M weights (346 MB float32): the SDK's registration (JSON, base64 weights ~460 MB) "
              "and the weight gradients (346 MB) are over the default max_body_bytes / max_output_bytes (256 MiB), "
              "which the sweep's server raises to 1 GiB; each path took 1-3 min and ~7-9 GB of the box's memory"),
    Case("convnext_tiny", "torchvision", tv("convnext_tiny")),
    Case("swin_t", "torchvision", tv("swin_t", size=64)),
    Case("regnet_y_400mf", "torchvision", tv("regnet_y_400mf")),
    Case("densenet121", "torchvision", tv("densenet121"),
         note="a ReLU kink, not ours (round 9, benchmarks/densenet_kink.py): one pre-ReLU value "
              "(denseblock2.denselayer9.relu1's input) is -4.1e-7 in float64, scale 13.8; our float32 puts it on "
              "the positive side, torch's on the negative. In float64 ours equals torch's to 5e-16, and at inputs "
              "moving it to +-1e-4 our float32 grads are 2-3e-7 off torch float64 (finite differences agree); "
              "ours at x is the positive side's derivative (2.7e-7 off it). See the Round 9 section"),
    Case("squeezenet1_1", "torchvision", tv("squeezenet1_1", size=64)),
    Case("shufflenet_v2_x0_5", "torchvision", tv("shufflenet_v2_x0_5")),
    Case("mnasnet0_5", "torchvision", tv("mnasnet0_5")),
    Case("googlenet", "torchvision", tv("googlenet", size=64, aux_logits=False, init_weights=True)),
    Case("deeplabv3_mobilenet_v3_large", "torchvision", tv_seg("deeplabv3_mobilenet_v3_large")),
    Case("fcn_resnet50", "torchvision", tv_seg("fcn_resnet50")),
    Case("lraspp_mobilenet_v3_large", "torchvision", tv_seg("lraspp_mobilenet_v3_large")),
    Case("raft_small", "torchvision", tv_raft(), note="2 flow updates, 128x128; ONNX grads differ by design: RAFT "
         "detaches its flow between updates and ONNX has no stop-gradient (detach exports as Identity)"),
    Case("timm_resnet10t", "timm", timm_model("resnet10t")),
    Case("timm_vit_tiny", "timm", timm_model("vit_tiny_patch16_224", img_size=32)),
    Case("timm_convnext_atto", "timm", timm_model("convnext_atto")),
    Case("timm_mobilevitv2_050", "timm", timm_model("mobilevitv2_050", size=64)),
    Case("timm_mixer_s16", "timm", timm_model("mixer_s16_224", img_size=32)),
    Case("timm_efficientvit_m0", "timm", timm_model("efficientvit_m0", size=64),
         note="the model's and torch's, not ours: its eval-mode attention-bias cache froze the biases into constants "
              "under torch.export, and torch's CPU eval batch_norm backward is wrong for strided gradients; both "
              "worked around in the sweep (see _uncached_attention_biases, sweep.torch_reference)"),
    Case("bert", "transformers", hf("BertConfig", "BertModel", _ids, **_SMALL)),
    Case("distilbert", "transformers", hf("DistilBertConfig", "DistilBertModel", _ids, dim=32, n_layers=2,
                                          n_heads=4, hidden_dim=64, vocab_size=100)),
    Case("gpt2", "transformers", hf("GPT2Config", "GPT2Model", _ids, n_embd=32, n_layer=2, n_head=4,
                                    vocab_size=100, n_positions=64)),
    Case("t5", "transformers", hf("T5Config", "T5Model", _ids_pair, ("input_ids", "decoder_input_ids"), **_T5),
         note=_VIEW_OF_TRANSPOSE),
    Case("t5_eager_attention", "transformers", hf("T5Config", "T5Model", _ids_pair, ("input_ids", "decoder_input_ids"),
                                                  attn_implementation="eager", **_T5), paths=("onnx-dynamo",),
         note=_EAGER_DYNAMO),
    Case("llama", "transformers", hf("LlamaConfig", "LlamaModel", _ids, **_DECODER), note=_GQA_TS),
    Case("mistral", "transformers", hf("MistralConfig", "MistralModel", _ids, sliding_window=4, **_DECODER)),
    Case("qwen2", "transformers", hf("Qwen2Config", "Qwen2Model", _ids, **_DECODER), note=_GQA_TS),
    Case("vit_hf", "transformers", hf("ViTConfig", "ViTModel", _pixels, image_size=32, patch_size=8,
                                      **{k: v for k, v in _SMALL.items() if k != "vocab_size"})),
    Case("whisper_tiny_config", "transformers", hf("WhisperConfig", "WhisperModel", _whisper, ("input_features", "decoder_input_ids"),
                                                   pad_token_id=0, bos_token_id=1, eos_token_id=2,
                                                   decoder_start_token_id=1, d_model=32,
                                                   encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                                                   decoder_attention_heads=2, encoder_ffn_dim=64,
                                                   decoder_ffn_dim=64, num_mel_bins=16, max_source_positions=16,
                                                   max_target_positions=16, vocab_size=100)),
    Case("r3d_18", "torchvision", tv_video("r3d_18")),
    Case("timm_levit_128s", "timm", timm_model("levit_128s", size=224),
         note="was 15x off before torch's reference got contiguous gradients into batch_norm: its subsampled queries "
              "(batch_norm -> flatten -> transpose -> [:, ::2]) hit torch's CPU eval batch_norm backward bug"),
    Case("timm_poolformer_s12", "timm", timm_model("poolformer_s12")),
    Case("timm_efficientformer_l1", "timm", timm_model("efficientformer_l1", size=224)),
    Case("roberta", "transformers", hf("RobertaConfig", "RobertaModel", _ids, pad_token_id=1, **_SMALL)),
    Case("albert", "transformers", hf("AlbertConfig", "AlbertModel", _ids, embedding_size=16, **_SMALL)),
    Case("electra", "transformers", hf("ElectraConfig", "ElectraModel", _ids, embedding_size=16, **_SMALL)),
    Case("deberta_v2", "transformers", hf("DebertaV2Config", "DebertaV2Model", _ids, **_SMALL)),
    Case("mobilebert", "transformers", hf("MobileBertConfig", "MobileBertModel", _ids, embedding_size=16,
                                          intra_bottleneck_size=16, true_hidden_size=16, num_feedforward_networks=2,
                                          **_SMALL)),
    Case("bart", "transformers", hf("BartConfig", "BartModel", _ids_pair, ("input_ids", "decoder_input_ids"),
                                    d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=4,
                                    decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64,
                                    vocab_size=100, max_position_embeddings=64)),
    Case("clip_text", "transformers", hf("CLIPTextConfig", "CLIPTextModel", _ids, max_position_embeddings=16,
                                         **_SMALL)),
    Case("clip_vision", "transformers", hf("CLIPVisionConfig", "CLIPVisionModel", _pixels, image_size=32,
                                           patch_size=8, **{k: v for k, v in _SMALL.items() if k != "vocab_size"})),
    Case("phi", "transformers", hf("PhiConfig", "PhiModel", _ids, **_DECODER), note=_GQA_TS),
    Case("gemma", "transformers", hf("GemmaConfig", "GemmaModel", _ids, head_dim=8, **_DECODER), note=_GQA_TS),
    Case("wav2vec2", "transformers", hf("Wav2Vec2Config", "Wav2Vec2Model", _audio, conv_dim=(16, 16),
                                        conv_stride=(5, 2), conv_kernel=(10, 3), num_conv_pos_embeddings=16,
                                        num_conv_pos_embedding_groups=4,
                                        **{k: v for k, v in _SMALL.items() if k != "vocab_size"})),
    Case("timm_convnextv2_atto", "timm", timm_model("convnextv2_atto")),
    Case("timm_swinv2_small_config", "timm", timm_model("swinv2_tiny_window8_256", size=64, img_size=64, window_size=4,
                                                        embed_dim=32, depths=(1, 1, 1, 1), num_heads=(1, 2, 4, 8))),
    Case("timm_maxvit_rmlp_pico", "timm", timm_model("maxvit_rmlp_pico_rw_256", size=64, img_size=64),
         note=_VIEW_OF_TRANSPOSE),
    Case("timm_maxvit_unfused_attention", "timm", timm_model("maxvit_rmlp_pico_rw_256", size=64, img_size=64,
                                                             fused_attn=False), paths=("onnx-dynamo",),
         note="timm's fused_attn off (matmul and softmax, not F.scaled_dot_product_attention): the dynamo exporter "
              "takes MaxViT (the row above fails in torch)"),
    Case("timm_efficientnetv2_b0", "timm", timm_model("tf_efficientnetv2_b0")),
    Case("timm_regnetx_002", "timm", timm_model("regnetx_002")),
    Case("gpt_neox", "transformers", hf("GPTNeoXConfig", "GPTNeoXModel", _ids, rotary_pct=0.5,
                                        max_position_embeddings=64, **_SMALL)),
    Case("falcon", "transformers", hf("FalconConfig", "FalconModel", _ids, hidden_size=32, num_hidden_layers=2,
                                      num_attention_heads=4, vocab_size=100, new_decoder_architecture=True,
                                      num_kv_heads=2)),
    Case("opt", "transformers", hf("OPTConfig", "OPTModel", _ids, hidden_size=32, num_hidden_layers=2,
                                   num_attention_heads=4, ffn_dim=64, vocab_size=100, word_embed_proj_dim=32,
                                   max_position_embeddings=64),
         note="ONNX grads differ by design, in one row: the ids include the padding token (1); torch's "
              "Embedding(padding_idx=1) gives its row no gradient, ONNX's Gather has no padding_idx (every other "
              "row of embed_tokens agrees to 1e-6; torch.export keeps padding_idx)"),
    Case("gemma2", "transformers", hf("Gemma2Config", "Gemma2Model", _ids, head_dim=8, sliding_window=4,
                                      **_DECODER)),
    Case("qwen3", "transformers", hf("Qwen3Config", "Qwen3Model", _ids, head_dim=8, **_DECODER), note=_GQA_TS),
    Case("mixtral", "transformers", hf("MixtralConfig", "MixtralModel", _ids, num_local_experts=4,
                                       num_experts_per_tok=2, experts_implementation="batched_mm", **_DECODER),
         note="mixture of experts, transformers' batched_mm experts (each token's top-2 experts' weights gathered: "
              "static shapes; its default grouped_mm calls transformers' own custom op, which no importer knows); " + _GQA_TS),
    Case("ssdlite320_mobilenet_v3", "torchvision", tv_detector("ssdlite320_mobilenet_v3_large", 320, False),
         paths=("export",), note="the whole detector, NMS included: how many boxes it keeps depends on their values; "
         "refused with the reason (an ONNX file's NonMaxSuppression is refused by name too: the ONNX exporter cannot "
         "trace the stand-in NMS this CPU torch needs, see _python_nms); its backbone and head (next row) import"),
    Case("ssdlite320_head", "torchvision", tv_detector("ssdlite320_mobilenet_v3_large", 320, True),
         note="backbone + SSDLite head: per-anchor box regression and class logits, before post-processing"),
    Case("fasterrcnn_mobilenet_v3_rpn", "torchvision", tv_detector("fasterrcnn_mobilenet_v3_large_320_fpn", 320,
                                                                    True),
         note="backbone (FPN) + region proposal head: objectness and box deltas per level, before the proposals' NMS"),
    Case("retinanet_head", "torchvision", tv_detector("retinanet_resnet50_fpn", 128, True),
         note="ResNet-50 FPN backbone + RetinaNet head at 128x128, before post-processing"),
    Case("llama_eager_attention", "transformers", hf("LlamaConfig", "LlamaModel", _ids, attn_implementation="eager",
                                                     **_DECODER), paths=("onnx-ts",),
         note="attn_implementation='eager' (repeat_kv, then matmul and softmax): how the TorchScript exporter takes a "
              "grouped-query model its SDPA conversion refuses (enable_gqa: the llama / qwen2 / phi / gemma / qwen3 / "
              "mixtral onnx-ts rows)"),
    Case("timm_mobilevit_xxs", "timm", timm_model("mobilevit_xxs", size=64)),
    Case("timm_coat_lite_tiny", "timm", timm_model("coat_lite_tiny", size=64, img_size=64)),
    Case("timm_pvt_v2_b0", "timm", timm_model("pvt_v2_b0", size=64)),
    Case("timm_edgenext_xx_small", "timm", timm_model("edgenext_xx_small", size=64)),
    Case("timm_fastvit_t8", "timm", timm_model("fastvit_t8", size=64)),
    Case("timm_repvit_m0_9", "timm", timm_model("repvit_m0_9", size=64)),
    Case("timm_ghostnetv2_100", "timm", timm_model("ghostnetv2_100", size=64)),
    Case("timm_efficientvit_b0", "timm", timm_model("efficientvit_b0", size=64)),
    Case("timm_inception_next_atto", "timm", timm_model("inception_next_atto", size=64)),
    Case("timm_starnet_s050", "timm", timm_model("starnet_s050", size=64)),
    Case("bloom", "transformers", hf("BloomConfig", "BloomModel", _ids, hidden_size=32, n_layer=2, n_head=4,
                                     vocab_size=100)),
    Case("mpnet", "transformers", hf("MPNetConfig", "MPNetModel", _ids, **_SMALL)),
    Case("dinov2", "transformers", hf("Dinov2Config", "Dinov2Model", _pixels, image_size=32, patch_size=8, mlp_ratio=2,
                                      **{k: v for k, v in _SMALL.items() if k not in ("vocab_size", "intermediate_size")})),
    Case("segformer", "transformers", hf("SegformerConfig", "SegformerModel", lambda torch, c: (_image(torch, 64),),
                                         hidden_sizes=[8, 16, 24, 32], depths=[1, 1, 1, 1],
                                         num_attention_heads=[1, 1, 2, 2], decoder_hidden_size=32)),
    Case("detr", "transformers", hf("DetrConfig", "DetrModel", lambda torch, c: (_image(torch, 64),), **_DETR),
         note="ResNet backbone (transformers' own, frozen batch norm) + 1 encoder / 1 decoder layer, 10 queries"),
    Case("convbert", "transformers", hf("ConvBertConfig", "ConvBertModel", _ids, embedding_size=32, **_SMALL)),
    Case("squeezebert", "transformers", hf("SqueezeBertConfig", "SqueezeBertModel", _ids, embedding_size=32,
                                           **_SMALL)),
    Case("funnel", "transformers", hf("FunnelConfig", "FunnelBaseModel", _ids, d_model=32, n_head=4, d_head=8,
                                      d_inner=64, block_sizes=[1, 1], vocab_size=100)),
    Case("swin_hf", "transformers", hf("SwinConfig", "SwinModel", _pixels, **_SWIN), note=_VIEW_OF_TRANSPOSE),
    Case("swin_hf_eager_attention", "transformers", hf("SwinConfig", "SwinModel", _pixels, attn_implementation="eager",
                                                       **_SWIN), paths=("onnx-dynamo",), note=_EAGER_DYNAMO),
    Case("beit", "transformers", hf("BeitConfig", "BeitModel", _pixels, **_BEIT), note=_VIEW_OF_TRANSPOSE),
    Case("beit_eager_attention", "transformers", hf("BeitConfig", "BeitModel", _pixels, attn_implementation="eager",
                                                    **_BEIT), paths=("onnx-dynamo",), note=_EAGER_DYNAMO),
    Case("mobilevit_hf", "transformers", hf("MobileViTConfig", "MobileViTModel", _pixels, image_size=64,
                                            hidden_sizes=[16, 24, 32], neck_hidden_sizes=[8, 8, 16, 16, 24, 24, 32],
                                            num_attention_heads=2)),
    Case("flax_mlp", "flax", flax_case("mlp"), paths=("jax",)),
    Case("flax_cnn", "flax", flax_case("cnn"), paths=("jax",)),
    Case("flax_transformer_block", "flax", flax_case("transformer"), paths=("jax",)),
    Case("flax_resnet_block", "flax", flax_case("resnet"), paths=("jax",)),
    Case("flax_gru", "flax", flax_case("gru"), paths=("jax",)),
    Case("flax_lstm", "flax", flax_case_more("lstm"), paths=("jax",)),
    Case("flax_causal_attention", "flax", flax_case_more("causal_attention"), paths=("jax",)),
    Case("flax_unet_stage", "flax", flax_case_more("unet"), paths=("jax",)),
]
