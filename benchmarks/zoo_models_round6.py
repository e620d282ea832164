"""Round 6's models for benchmarks/model_zoo_sweep.py (held-out kinds not in zoo_models.py): more transformers
(XLNet, Longformer, MarianMT, RoFormer, GPT-J, GPTBigCode, StableLM, Phi-3, Pegasus, HuBERT, DeiT,
ConvNeXt V2 and RegNet as transformers builds them), timm families not swept before, torchvision
detection heads on ResNet-50 FPN backbones, and a torch.cond model (data-dependent control flow)."""
from __future__ import annotations

from benchmarks.zoo_models import (Case, _DECODER, _GQA_TS, _SMALL, _audio, _ids, _ids_pair, _pixels, _seed, hf,
                                   timm_model, tv_detector)

_NO_VOCAB = {k: v for k, v in _SMALL.items() if k != "vocab_size"}
_SEQ2SEQ = dict(d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=4, decoder_attention_heads=4,
                encoder_ffn_dim=64, decoder_ffn_dim=64, vocab_size=100, max_position_embeddings=64, pad_token_id=0,
                decoder_start_token_id=0)
_PAIR = ("input_ids", "decoder_input_ids")


def cond_net():
    """A residual block whose branch is chosen by the data (torch.cond on the input's mean): export keeps both
    branches (the engine's cond), so the gradient is the taken branch's."""
    def build():
        torch = _seed()

        class Gated(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.a, self.b = torch.nn.Linear(8, 8), torch.nn.Linear(8, 8)

            def forward(self, x):
                h = torch.cond(x.mean() > 0, lambda v: torch.tanh(self.a(v)), lambda v: torch.sin(self.b(v)) * 2, (x,))
                return h + x
        return Gated().eval(), (torch.randn(4, 8) + 0.3,)
    return build


CASES = [
    Case("xlnet", "transformers", hf("XLNetConfig", "XLNetModel", _ids, d_model=32, n_layer=2, n_head=4, d_inner=64,
                                     vocab_size=100)),
    Case("longformer", "transformers", hf("LongformerConfig", "LongformerModel", _ids, attention_window=4,
                                          pad_token_id=1, max_position_embeddings=64, **_SMALL),
         note="the model's, not ours: its global-attention switch is data (`is_index_global_attn.flatten().any()"
              ".item()` and a nonzero() of it): torch.export refuses the branch on a value (named as such), the "
              "dynamo exporter fails in torch.export the same way, the TorchScript export has NonZero (an output "
              "whose length is data: refused by name)"),
    Case("marian", "transformers", hf("MarianConfig", "MarianModel", _ids_pair, _PAIR, **_SEQ2SEQ)),
    Case("pegasus", "transformers", hf("PegasusConfig", "PegasusModel", _ids_pair, _PAIR, **_SEQ2SEQ)),
    Case("roformer", "transformers", hf("RoFormerConfig", "RoFormerModel", _ids, embedding_size=32,
                                        max_position_embeddings=64, **_SMALL)),
    Case("gptj", "transformers", hf("GPTJConfig", "GPTJModel", _ids, n_embd=32, n_layer=2, n_head=4, rotary_dim=4,
                                    vocab_size=100, n_positions=64)),
    Case("gpt_bigcode", "transformers", hf("GPTBigCodeConfig", "GPTBigCodeModel", _ids, n_embd=32, n_layer=2,
                                           n_head=4, vocab_size=100, n_positions=64, multi_query=True), note=_GQA_TS),
    Case("stablelm", "transformers", hf("StableLmConfig", "StableLmModel", _ids, **_DECODER), note=_GQA_TS),
    Case("phi3", "transformers", hf("Phi3Config", "Phi3Model", _ids, pad_token_id=0, **_DECODER), note=_GQA_TS),
    Case("hubert", "transformers", hf("HubertConfig", "HubertModel", _audio, conv_dim=(16, 16), conv_stride=(5, 2),
                                      conv_kernel=(10, 3), num_conv_pos_embeddings=16,
                                      num_conv_pos_embedding_groups=4, **_NO_VOCAB)),
    Case("deit_hf", "transformers", hf("DeiTConfig", "DeiTModel", _pixels, image_size=32, patch_size=8, **_NO_VOCAB)),
    Case("convnextv2_hf", "transformers", hf("ConvNextV2Config", "ConvNextV2Model", _pixels, image_size=32,
                                             hidden_sizes=[8, 16, 32, 64], depths=[1, 1, 1, 1])),
    Case("regnet_hf", "transformers", hf("RegNetConfig", "RegNetModel", lambda torch, c: (_pixels_of(torch, 32),),
                                         hidden_sizes=[8, 16, 32, 64], depths=[1, 1, 1, 1], groups_width=8,
                                         embedding_size=8)),
    Case("timm_lcnet_050", "timm", timm_model("lcnet_050", size=64)),
    Case("timm_tinynet_e", "timm", timm_model("tinynet_e", size=64)),
    Case("timm_mobilenetv4_conv_small", "timm", timm_model("mobilenetv4_conv_small", size=64)),
    Case("timm_hgnetv2_b0", "timm", timm_model("hgnetv2_b0", size=64)),
    Case("timm_ese_vovnet19b_dw", "timm", timm_model("ese_vovnet19b_dw", size=64)),
    Case("timm_resnest14d", "timm", timm_model("resnest14d", size=64)),
    Case("timm_skresnet18", "timm", timm_model("skresnet18", size=64)),
    Case("timm_nf_resnet26", "timm", timm_model("nf_resnet26", size=64)),
    Case("timm_xcit_nano", "timm", timm_model("xcit_nano_12_p16_224", size=32, img_size=32)),
    Case("timm_deit_tiny_distilled", "timm", timm_model("deit_tiny_distilled_patch16_224", size=32, img_size=32)),
    Case("timm_cait_xxs24", "timm", timm_model("cait_xxs24_224", size=32, img_size=32)),
    Case("timm_eva02_tiny", "timm", timm_model("eva02_tiny_patch14_224", size=56, img_size=56),
         note="onnx-ts: torch's, not ours: the TorchScript exporter passes SDPA's is_causal as a tensor (TypeError)"),
    Case("timm_mambaout_femto", "timm", timm_model("mambaout_femto", size=64)),
    Case("fcos_head", "torchvision", tv_detector("fcos_resnet50_fpn", 128, True),
         note="ResNet-50 FPN backbone + FCOS head (box regression, class logits) at 128x128, before post-processing"),
    Case("keypointrcnn_rpn", "torchvision", tv_detector("keypointrcnn_resnet50_fpn", 128, True),
         note="ResNet-50 FPN backbone + region proposal head at 128x128, before the proposals' NMS. Grads: a ReLU "
              "kink in torch's float32 reference, not ours: at these weights one pre-ReLU value (layer1.2's output "
              "after the residual add, channel 214) is -5.5e-8 in float64 (tensor scale 7.9): torch float32 rounds "
              "it to +4.4e-7, ours to -3.7e-8, so that unit's derivative flips in torch float32 only; against torch "
              "float64 ours agree to 2.0e-6 (every weight and the input) and torch float32 is 1.4e-2 off. At weights "
              "perturbed otherwise (seed 4) another unit flips (layer1.2.bn1's, -3.5e-8 vs +4.8e-8): torch float32 "
              "is 1.5e-3 off float64, ours 1.4e-6. Layer1 feeds the FPN here (retinanet's starts at layer2), "
              "so its near-zero units reach the loss"),
    Case("torch_cond_block", "torch", cond_net(), paths=("export", "onnx-dynamo"),
         note="torch.cond on the input's mean (data-dependent branch); the TorchScript exporter has no cond"),
]


def _pixels_of(torch, size):
    return torch.randn(1, 3, size, size)


def flax_round6(kind):
    """Round 6's flax.linen modules: a MobileNet-style block (depthwise conv, running-average batch norm, hard
    swish, squeeze-excite), an MLP-Mixer block, layers stacked by flax's lifted nn.scan (lax.scan over the
    stacked weights), and a rematerialised (nn.remat: jax.checkpoint) MLP."""
    def build():
        import flax.linen as fnn
        import jax
        import jax.numpy as jnp

        if kind == "mobile":
            class M(fnn.Module):
                @fnn.compact
                def __call__(self, x):
                    h = fnn.hard_swish(fnn.BatchNorm(use_running_average=True)(fnn.Conv(12, (1, 1))(x)))
                    h = fnn.Conv(12, (3, 3), strides=(2, 2), feature_group_count=12)(h)
                    s = fnn.sigmoid(fnn.Dense(12)(fnn.relu(fnn.Dense(4)(jnp.mean(h, axis=(1, 2))))))
                    return fnn.Conv(6, (1, 1))(h * s[:, None, None, :])
            x = jax.random.normal(jax.random.PRNGKey(1), (2, 8, 8, 6))
        elif kind == "mixer":
            class M(fnn.Module):
                @fnn.compact
                def __call__(self, x):
                    t = fnn.LayerNorm()(x).swapaxes(1, 2)
                    x = x + fnn.Dense(6)(fnn.gelu(fnn.Dense(12)(t))).swapaxes(1, 2)
                    return x + fnn.Dense(16)(fnn.gelu(fnn.Dense(32)(fnn.LayerNorm()(x))))
            x = jax.random.normal(jax.random.PRNGKey(1), (2, 6, 16))
        elif kind == "scan_layers":
            class Block(fnn.Module):
                @fnn.compact
                def __call__(self, h, _):
                    return h + fnn.Dense(16)(fnn.tanh(fnn.LayerNorm()(h))), None

            class M(fnn.Module):
                @fnn.compact
                def __call__(self, x):
                    stack = fnn.scan(Block, variable_axes={"params": 0}, split_rngs={"params": True}, length=3)
                    return stack()(x, None)[0]
            x = jax.random.normal(jax.random.PRNGKey(1), (4, 16))
        else:
            class Mlp(fnn.Module):
                @fnn.compact
                def __call__(self, x):
                    return x + fnn.Dense(8)(fnn.silu(fnn.Dense(32)(x)))

            class M(fnn.Module):
                @fnn.compact
                def __call__(self, x):
                    return fnn.remat(Mlp)()(fnn.remat(Mlp)()(x))
            x = jax.random.normal(jax.random.PRNGKey(1), (4, 8))
        m = M()
        params = m.init(jax.random.PRNGKey(0), x)
        return (lambda p, z: m.apply(p, z)), params, x
    return build


CASES += [Case(f"flax_{kind}", "flax", flax_round6(kind), paths=("jax",))
          for kind in ("mobile", "mixer", "scan_layers", "remat")]
