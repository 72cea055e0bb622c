"""Acknowledged asynchronous ingests (jobs claimed under a lease): port, in-memory fake, SQL
adapter, contract kit (``testing``)."""
