"""Batch labelling of whole FiftyOne datasets: resumable, parallel, locally or on Ray."""

from speakerid.batch.job import label_dataset
from speakerid.batch.summary import JobProgress, LabelSummary

__all__ = ["JobProgress", "LabelSummary", "label_dataset"]
