"""Hypothesis strategies shared by the tests."""

import numpy as np
from hypothesis import strategies as st


@st.composite
def kernels(draw, max_side=7):
    kh = draw(st.sampled_from([s for s in (1, 3, 5, 7, 9) if s <= max_side]))
    kw = draw(st.sampled_from([s for s in (1, 3, 5, 7, 9) if s <= max_side]))
    seed = draw(st.integers(0, 2**32 - 1))
    k = np.random.default_rng(seed).random((kh, kw)) ** 3 + 1e-3
    return k / k.sum()


@st.composite
def images(draw, min_side=9, max_side=24, channels=(None, 3)):
    h = draw(st.integers(min_side, max_side))
    w = draw(st.integers(min_side, max_side))
    c = draw(st.sampled_from(channels))
    seed = draw(st.integers(0, 2**32 - 1))
    shape = (h, w) if c is None else (h, w, c)
    return np.random.default_rng(seed).random(shape)


seeds = st.integers(0, 2**32 - 1)
