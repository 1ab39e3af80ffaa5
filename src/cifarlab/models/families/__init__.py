"""Importing this package registers every model family (one module per family)."""

from cifarlab.models.families import (  # noqa: F401
    cifar_resnet,
    coatnet,
    convnext,
    cspnet,
    dla,
    eca_resnet,
    efficientnet,
    ghost_resnet,
    ghostnet,
    hornet,
    improved_resnet_convnext,
    lsknet,
    mlp_mixer,
    resnest,
    segnext,
    simple_cnns,
    torchvision_resnet,
    vgg,
    vit,
    wide_resnet,
)
