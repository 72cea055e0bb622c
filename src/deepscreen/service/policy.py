"""Policy bundles: load one against the enabled signals, run its tests, explain a decision;
and the vocabulary of explanations (``Explanation``)."""

from __future__ import annotations

from deepscreen.policy.bundle import Bundle as Bundle
from deepscreen.policy.bundle import load_bundle as load_bundle
from deepscreen.policy.explain import Explanation as Explanation
from deepscreen.policy.explain import explain as explain
from deepscreen.policy.testing import CaseStatus as CaseStatus
from deepscreen.policy.testing import run_policy_tests as run_policy_tests
