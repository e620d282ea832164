"""`mindspore.dataset.engine`: only the iterator bookkeeping that MindSpore's dataset tests' conftest imports."""
