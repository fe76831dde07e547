"""Where data comes from: the dataset registry (origin, sha256, loader) and the data directory."""
