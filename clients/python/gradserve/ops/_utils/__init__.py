"""`mindspore.ops._utils` (the part MindSpore's tests import): arg_dtype_cast's sequence conversions."""
