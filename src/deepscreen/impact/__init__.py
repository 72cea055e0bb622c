"""Impact measurement from the event log: the item table, the metric table and its intervals,
costs, policy comparison, threshold optimisation, labelling samples and takedown compliance.
Notes: docs/internals/impact.md."""
