"""Face classifiers trained on labelled faces: SVM/kNN on embeddings and CNNs (references 000-002).

``speakerid.train.classifier.load_classifier(path)`` reads a file written by
``speakerid train-faces``; ``speakerid.train.specs`` lists what can be trained without importing
torch.
"""
