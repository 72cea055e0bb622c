"""Human review: routing and priority (pure), task types, appeals."""
