"""`mindspore.ops._grad_experimental`: where MindSpore keeps its derivative rules (grad_base.bprop_getters)."""
