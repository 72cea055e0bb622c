"""Seeded synthetic platform samples for ``deepscreen demo``. Everything here is synthetic."""
