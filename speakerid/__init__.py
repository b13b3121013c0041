"""speakerid: who is on screen, frame by frame, written as FiftyOne labels."""

__version__ = "0.1.0"
