"""Writing results out: FiftyOne labels and the JSON export."""
