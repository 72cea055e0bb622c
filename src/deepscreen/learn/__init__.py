"""Training and honest evaluation of learned detectors."""
