"""What every SQL store shares: the engine (``engine``), one ``SqlDatabase`` per database, the
schema and its migrations, and the integrity queries of ``deepscreen db check``."""
