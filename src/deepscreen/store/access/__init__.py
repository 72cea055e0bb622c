"""Access records of the HTTP service — API keys, the audit trail, UI sessions ended by logout:
ports, in-memory fakes, SQL adapters, contract kits (``testing``)."""
