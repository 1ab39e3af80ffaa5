"""Model zoo: one file per family under ``families/``, all reached through the registry."""

from cifarlab.models.registry import (
    ModelInfo,
    get_model,
    get_model_info,
    list_models,
    register_model,
)

__all__ = ["ModelInfo", "get_model", "get_model_info", "list_models", "register_model"]
