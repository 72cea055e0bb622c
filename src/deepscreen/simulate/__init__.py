"""The platform simulator: a seeded, vectorised model of uploads, engagement, detection, review
and appeals that runs the real policy; every output is labelled simulated."""
