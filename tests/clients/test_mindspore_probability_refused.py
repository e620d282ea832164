"""mindspore.nn.probability is not implemented (but distribution.Bernoulli: test_mindspore_leftovers4): importing it
works (so a program's other parts still run), and using one of its names raises NotImplementedError naming it (gradserve/nn/probability)."""
import pytest


def test_distribution_names_import_and_refuse_when_used():
    from gradserve.nn.probability import bijector, distribution
    normal = distribution.Normal  # importing a name is fine
    with pytest.raises(NotImplementedError, match=r"nn\.probability\.distribution\.Normal .*not implemented"):
        normal(0.0, 1.0)
    with pytest.raises(NotImplementedError, match=r"bijector\.Exp"):
        bijector.Exp()
    with pytest.raises(AttributeError):
        distribution.__wrapped__  # noqa: B018 - private names stay ordinary AttributeErrors
