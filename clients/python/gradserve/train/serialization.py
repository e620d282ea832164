"""`mindspore.train.serialization`: the checkpoint functions; `export` (a Cell to MINDIR / ONNX / AIR files)
is not implemented and says so when called, so programs that import it still run their other parts."""
from .._checkpoint import load_checkpoint, load_param_into_net, save_checkpoint

__all__ = ["save_checkpoint", "load_checkpoint", "load_param_into_net", "export"]


def export(net, *inputs, file_name=None, file_format="MINDIR", **kwargs):
    """MindSpore's export(net, *inputs, file_name, file_format): not implemented by gradserve."""
    raise NotImplementedError(f"mindspore.train.serialization.export (file_format={file_format!r}, "
                              f"file_name={file_name!r}) is not implemented by gradserve: it cannot write "
                              "MINDIR / ONNX / AIR files of a Cell")
