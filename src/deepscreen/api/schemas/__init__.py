"""Pydantic request and response models of the HTTP API (what the OpenAPI document shows)."""
