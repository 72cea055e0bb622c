"""Impact measurement from the event log: the item table, the metric table, costs, policy
comparison, counterfactual replay, threshold optimisation, labelling samples, takedown and DSA
figures; intervals come from ``deepscreen.stats``. Notes: docs/internals/impact.md."""
