"""`mindspore.train.serialization`: the checkpoint functions; `export` (a Cell to MINDIR / ONNX / AIR files)
and `load` (a MINDIR file as a graph) are not implemented and say so when called, so programs that import
them still run their other parts."""
from .._checkpoint import load_checkpoint, load_param_into_net, save_checkpoint

__all__ = ["save_checkpoint", "load_checkpoint", "load_param_into_net", "export", "load"]


def export(net, *inputs, file_name=None, file_format="MINDIR", **kwargs):
    """MindSpore's export(net, *inputs, file_name, file_format): not implemented by gradserve."""
    raise NotImplementedError(f"mindspore.train.serialization.export (file_format={file_format!r}, "
                              f"file_name={file_name!r}) is not implemented by gradserve: it cannot write "
                              "MINDIR / ONNX / AIR files of a Cell")


def load(file_name, **kwargs):
    """MindSpore's load(file_name): not implemented by gradserve (a MINDIR file is a compiled MindSpore graph)."""
    raise NotImplementedError(f"mindspore.train.serialization.load ({file_name!r}) is not implemented by gradserve: "
                              "it cannot read MINDIR files")
