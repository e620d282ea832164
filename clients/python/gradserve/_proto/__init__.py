"""Generated gRPC stubs of the gradserve API (a copy of service/proto/, generated from the same gradserve.proto:
`python -m service.proto.generate`). Needs the [grpc] extra: grpcio and protobuf."""
