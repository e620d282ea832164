"""gradserve gRPC API (package gradserve.v1): generated from service/proto/gradserve.proto."""
