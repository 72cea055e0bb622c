"""The HTTP API (FastAPI) and the reviewer web UI: thin shells over ``deepscreen.service``."""
