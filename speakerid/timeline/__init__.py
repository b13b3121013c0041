"""From per-frame faces to tracks, per-frame speakers and speaker segments."""
