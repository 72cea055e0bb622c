"""Simulating a platform under a policy: load a scenario, run what-if sweeps or compare a
candidate policy on the same simulated items (``deepscreen.simulate``)."""

from __future__ import annotations

from deepscreen.simulate.scenario import OVERRIDE_ALIASES as OVERRIDE_ALIASES
from deepscreen.simulate.scenario import Scenario as Scenario
from deepscreen.simulate.scenario import load_scenario as load_scenario
from deepscreen.simulate.sweep import SweepResult as SweepResult
from deepscreen.simulate.sweep import bundle_label as bundle_label
from deepscreen.simulate.sweep import combinations as combinations
from deepscreen.simulate.sweep import compare_policies as compare_policies
from deepscreen.simulate.sweep import parse_sweep as parse_sweep
from deepscreen.simulate.sweep import run_sweep as run_sweep
