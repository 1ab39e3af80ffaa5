"""Which parameters a phase trains: the classifier head only, or everything."""

from __future__ import annotations

from torch import nn

_HEAD_ATTRIBUTES = ("fc", "classifier", "head")


def find_head(model: nn.Module) -> nn.Module:
    """The classifier head: ``model.get_classifier()`` (timm), else fc/classifier/head."""
    model = unwrap(model)
    getter = getattr(model, "get_classifier", None)
    if callable(getter):
        head = getter()
        if isinstance(head, nn.Module) and any(True for _ in head.parameters()):
            return head
    for name in _HEAD_ATTRIBUTES:
        head = getattr(model, name, None)
        if isinstance(head, nn.Module) and any(True for _ in head.parameters()):
            return head
    raise ValueError(
        f"cannot find the classifier head of {type(model).__name__}: it has no "
        f"get_classifier() and none of the attributes {', '.join(_HEAD_ATTRIBUTES)} "
        "is a module with parameters (needed by a phase with trainable='head')"
    )


def set_trainable(model: nn.Module, which: str, base: dict[str, bool]) -> list[nn.Parameter]:
    """Set ``requires_grad`` for a phase and return the parameters to optimise.

    ``base`` is each parameter's ``requires_grad`` before fit() touched it, so parameters
    the caller froze stay frozen in an 'all' phase. In a 'head' phase everything outside
    the head is frozen; BatchNorm layers still update their running statistics (the seed
    only stops gradients).
    """
    model = unwrap(model)
    if which == "all":
        keep = None
    elif which == "head":
        keep = {id(p) for p in find_head(model).parameters()}
    else:
        raise ValueError(f"trainable must be 'head' or 'all', got {which!r}")
    params = []
    for name, p in model.named_parameters():
        p.requires_grad_(base[name] and (keep is None or id(p) in keep))
        if p.requires_grad:
            params.append(p)
    if not params:
        raise ValueError(f"phase with trainable={which!r} leaves no parameter to train")
    return params


def unwrap(model: nn.Module) -> nn.Module:
    """The plain module under torch.compile / DataParallel / DDP wrappers."""
    model = getattr(model, "_orig_mod", model)
    if isinstance(model, (nn.DataParallel, nn.parallel.DistributedDataParallel)):
        model = model.module
    return model
