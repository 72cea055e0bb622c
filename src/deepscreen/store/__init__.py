"""The append-only event log and its decisions view, over SQLAlchemy Core or in memory."""
