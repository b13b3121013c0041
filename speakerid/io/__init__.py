"""Decoding layer: probe videos and stream sampled RGB frames (PyAV default, decord optional)."""

from speakerid.io.decode import BACKENDS, probe, read_frames
from speakerid.io.types import FrameBatch, VideoInfo

__all__ = ["BACKENDS", "FrameBatch", "VideoInfo", "probe", "read_frames"]
