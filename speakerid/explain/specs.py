"""The explanation and attack methods and their defaults, known without importing torch or
captum (the CLI lists them)."""

HEATMAP_METHODS = ("saliency", "occlusion", "gradcam")
DEFAULT_CONTEXT = 1.5  # explained window side / face size
REDUCERS = ("pca", "tsne", "umap")  # embedding maps
ATTACKS = ("pgd", "fgsm")
DEFAULT_BUDGET = 0.025  # L-inf budget of an attack, as a share of 0..255
