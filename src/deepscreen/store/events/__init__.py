"""The event log (append-only events, the decisions view, applied imports): port, in-memory
fake, SQL adapter, JSON codec, Arrow export, contract kit (``testing``)."""
