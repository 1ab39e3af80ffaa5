"""``vit`` (s004): a ViT-Small-shaped Vision Transformer for 32 px CIFAR images from
timm's ``VisionTransformer``: patch 4 (8x8 = 64 tokens + class token), width 384,
12 layers, 6 heads, MLP ratio 4. s004 gives no ViT config (only that it is a ViT trained
from scratch reaching ~53%); "small, patch 4" is the project's choice.
"""

from __future__ import annotations

from timm.models.vision_transformer import VisionTransformer
from torch import nn

from cifarlab.models.registry import register_model


def cifar_vit(num_classes: int, *, img_size: int = 32, patch_size: int = 4, embed_dim: int = 384,
              depth: int = 12, num_heads: int = 6, drop_path_rate: float = 0.0) -> nn.Module:
    return VisionTransformer(img_size=img_size, patch_size=patch_size, num_classes=num_classes,
                             embed_dim=embed_dim, depth=depth, num_heads=num_heads,
                             drop_path_rate=drop_path_rate)


register_model("vit", family="vit", study="s004", source="s004 §1.7 (model table: Vit)",
               fidelity_note="s004 gives no ViT config or count; ViT-S/4 at 32 px chosen")(cifar_vit)
