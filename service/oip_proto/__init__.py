"""Generated gRPC code of the Open Inference Protocol (grpc_predict_v2.proto, package `inference`).

Regenerate with `python -m service.oip_proto.generate`; tests/oip/test_oip_generated.py fails when stale.
"""
