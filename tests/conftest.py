import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", deadline=None, max_examples=30,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("thorough", deadline=None, max_examples=300,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# CI draws the same examples every run, so that main never turns red by chance;
# run HYPOTHESIS_PROFILE=thorough locally to explore.
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True,
                          database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else
                                     "default"))


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(scope="session")
def camera_small():
    """A 96×96 crop of scikit-image's bundled camera image, in [0, 1]."""
    from skimage import data

    return data.camera()[200:296, 200:296].astype(np.float64) / 255.0


@pytest.fixture
def fixed_pairs(monkeypatch):
    """Make every training batch of :class:`BlurPairSampler` the first one drawn (a run
    that must lower its loss on a batch it can fit); the list holds that batch."""
    from proxdeblur.training.pairs import BlurPairSampler

    real, fixed = BlurPairSampler.batch, []

    def same_batch(self, size):
        if not fixed:
            fixed.append(real(self, size))
        return fixed[0]

    monkeypatch.setattr(BlurPairSampler, "batch", same_batch)
    return fixed
