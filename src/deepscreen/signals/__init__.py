"""Detector plug-ins: each module holds one detector; ``registry`` discovers them."""
