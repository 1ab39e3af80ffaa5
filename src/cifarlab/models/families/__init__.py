"""One module per model family; each registers its models when imported.

Nothing is imported here: the registry imports a family when one of its models is first
asked for (cifarlab.models.index names which), or all of them for ``list_models()``.
"""
