"""`mindspore.ops.composite.multitype_ops`: the submodules MindSpore's tests import (zeros_like_impl)."""
