"""Adapters to the outside world that use cases call through bootstrap: fetching media from a
URL, submitting statements to the DSA Transparency Database, fetching pretrained models."""
