"""The platform simulator: a seeded, vectorised model of uploads, engagement, detection, review
and appeals that runs the real policy on sourced YAML scenarios, with what-if sweeps; every
output is labelled simulated. Notes: docs/internals/simulate.md."""
