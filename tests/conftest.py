"""Test configuration: strict dtype promotion and the hypothesis profiles.

Profiles: "ci" (default; ~30 derandomized examples, no deadline: every new graph is an XLA compile) and
"slow" (more examples, for long runs: SNNIR_HYPOTHESIS_PROFILE=slow make test).
"""

import os

import jax
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=30, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "slow", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("SNNIR_HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _strict_dtype_promotion(request):
    """Library code must never rely on implicit dtype promotion. Tests marked ``standard_promotion`` run
    third-party code (optax's optimisers) that does, under JAX's default rules."""
    if request.node.get_closest_marker("standard_promotion"):
        yield
        return
    with jax.numpy_dtype_promotion("strict"):
        yield
