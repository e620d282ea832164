"""gradserve's service: a protocol-agnostic core (service.core) behind thin adapters (HTTP: service.http_app).

Nothing heavy is imported here: worker processes import this package first.
"""
