"""Face classifiers trained on labelled faces: SVM/kNN on embeddings and CNNs (references 000-002).

``load_classifier(path)`` reads a file written by ``speakerid train-faces``.
"""

from speakerid.train.classifier import load_classifier

__all__ = ["load_classifier"]
