"""Impact metrics computed from recorded events (pure)."""
