"""Which family module registers each model (torch-free).

``get_model_info(name)`` imports only ``name``'s family module, so a job that builds
resnet_20 never pays for timm or torchvision.models (about 2 s a process, and every
rule is a process). tests/models/test_registry.py checks this table against what
importing every family registers, and names the line to add or remove when a family
gains or loses a model.
"""

FAMILY_MODULES: dict[str, str] = {
    "resnet_20": "cifar_resnet",
    "resnet_32": "cifar_resnet",
    "resnet_56": "cifar_resnet",
    "coatnet_0": "coatnet",
    "coatnet_cifar_opt": "coatnet",
    "coatnet_cifar_opt_large_stem": "coatnet",
    "convnext_tiny": "convnext",
    "cspresnet50": "cspnet",
    "dla34": "dla",
    "eca_resnet_20": "eca_resnet",
    "eca_resnet_32": "eca_resnet",
    "ecanet20_fixed_k3": "eca_resnet",
    "ecanet20_adaptive": "eca_resnet",
    "efficientnet_b2": "efficientnet",
    "ghost_resnet_20": "ghost_resnet",
    "ghost_resnet_32": "ghost_resnet",
    "ghostnet_100": "ghostnet",
    "hornet_tiny": "hornet",
    "improved_resnet20_convnext": "improved_resnet_convnext",
    "lsknet_tiny": "lsknet",
    "mlp_mixer_b16": "mlp_mixer",
    "mlp_mixer_tiny": "mlp_mixer",
    "resnest50d": "resnest",
    "segnext_mscan_tiny": "segnext",
    "cnn4": "simple_cnns",
    "simple_cnn": "simple_cnns",
    "refined_cnn": "simple_cnns",
    "resnet18": "torchvision_resnet",
    "resnet34": "torchvision_resnet",
    "resnet50": "torchvision_resnet",
    "se_resnet18": "torchvision_resnet",
    "resnet50_imagenet": "torchvision_resnet",
    "resnet50_se_imagenet": "torchvision_resnet",
    "vgg16": "vgg",
    "vit": "vit",
    "wrn_28_10": "wide_resnet",
    "wrn_16_8": "wide_resnet",
}
