"""Rendering of results (never computing them): Markdown and text for now."""
