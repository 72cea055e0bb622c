"""The review queue (tasks under leases): port, in-memory fake, SQL adapter and statements,
contract kit with a claim race (``testing``)."""
