"""Convert an ONNX model file to `gradserve.graph/1` JSON.

    python -m engine.importers model.onnx [-o model.json] [--input-shape x=1,3,32,32 ...]
                               [--scalar-weight logit_scale ...]

The JSON goes to POST /v1/graphs, /v1/eval and friends (or gradserve.Client) like any graph.
"""
from __future__ import annotations

import argparse
import json
import sys

from . import UnsupportedModel, onnx_to_graph, parse_input_shape


def _shape(text: str) -> tuple[str, list[int]]:
    try:
        return parse_input_shape(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"--input-shape: {e}") from None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m engine.importers", description=__doc__.splitlines()[0])
    ap.add_argument("model", help="an .onnx file (external-data models are refused)")
    ap.add_argument("-o", "--output", help="where to write the JSON (default: stdout)")
    ap.add_argument("--input-shape", action="append", type=_shape, default=[],
                    help="fix a dynamic input's shape: NAME=D1,D2,... (repeatable)")
    ap.add_argument("--scalar-weight", action="append", default=[], metavar="NAME",
                    help="a 0-d float initializer that is a weight (a scalar nn.Parameter; by default a 0-d "
                         "initializer is a constant) (repeatable)")
    ap.add_argument("--loop-max-trips", type=int, metavar="N",
                    help="the bound of a Loop whose trip count is computed (more trips at run time is an error)")
    ap.add_argument("--graph-output", action="append", metavar="NAME",
                    help="a graph output to import, in order (default: all; repeatable)")
    args = ap.parse_args(argv)
    from ..serialize import graph_from_json, tensor_to_json

    try:
        doc = onnx_to_graph(args.model, encode=lambda a: tensor_to_json(a, b64=True),
                            input_shapes=dict(args.input_shape) or None, scalar_weights=args.scalar_weight,
                            limits={"loop_max_trips": args.loop_max_trips} if args.loop_max_trips is not None else None,
                            outputs=args.graph_output, warn=lambda msg: print(f"warning: {msg}", file=sys.stderr))
        graph_from_json(doc)  # the engine's own check: a document the server will accept
    except (UnsupportedModel, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    text = json.dumps(doc, separators=(",", ":"))
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
        print(f"wrote {args.output}: {len(doc['inputs'])} input(s), {len(doc['params'])} parameter(s), "
              f"{len(doc['nodes'])} nodes", file=sys.stderr)
    else:
        sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
