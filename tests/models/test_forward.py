"""Every registered model trains one step on CPU: right output shape, finite gradients."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from cifarlab.models import get_model

from .conftest import BIG, input_size, meta_params, model_names


def _params(name: str) -> list:
    marks = [pytest.mark.slow] if meta_params(name) > BIG else []
    return [pytest.param(name, marks=marks, id=name)]


CASES = [p for n in model_names() for p in _params(n)]


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("num_classes", [10, 100])
def test_forward_backward(name: str, num_classes: int) -> None:
    torch.manual_seed(0)
    model = get_model(name, num_classes)
    model.train()
    size = input_size(name)
    x = torch.randn(2, 3, size, size)
    out = model(x)
    assert out.shape == (2, num_classes)
    out.logsumexp(1).mean().backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None for g in grads), "some parameter got no gradient"
    assert all(torch.isfinite(g).all() for g in grads)
    head = model.get_classifier()
    assert isinstance(head, nn.Linear) and head.out_features == num_classes
    # forward_features/forward_head split (timm style) reproduces forward
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(model.forward_head(model.forward_features(x)), model(x))
