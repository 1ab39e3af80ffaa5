"""cifarlab: traceable image-classification experiments."""
