"""Media kept for reviewers and their wellness preferences: ports, in-memory fakes, the fsspec
store, Fernet encryption at rest, the SQL preferences, contract kits (``testing``)."""
