"""End-to-end deblurring with a restorer network, no kernel: :func:`restore`.

A restorer (DMPHN, the Golf optimizer, and Bi-Skip as it lands) maps a blurred
photograph to a sharp one directly. :func:`restore` runs one on a gray or colour
image — a one-channel network on each colour channel (as a batch), a colour
network natively — tiled with smooth blending for large photographs, in bfloat16
where the hardware has it natively.
"""

from __future__ import annotations

import functools

import numpy as np

from ._validation import as_image, check_int
from .errors import ImageFileError, InvalidArgumentError
from .priors.base import Restorer
from .priors.bundled import bundled_names, check_network_name

__all__ = ["restore", "get_restorer", "DEFAULT_RESTORER", "RESTORER_NAMES", "COMPOSITE_RESTORERS",
           "GOLF_STEPS", "RESTORE_TILE", "RESTORE_OVERLAP"]

#: The restorer :func:`restore` uses unless told otherwise (bundled; model card:
#: ``priors/weights/dmphn_gray.json``).
DEFAULT_RESTORER = "dmphn"
#: Tile side and overlap: a 512² tile of the width-16 DMPHN needs about 0.3 GB of
#: activations; the overlap covers the blur a restorer undoes (kernels up to 35 px)
#: twice over, so that tiles agree where they are blended.
RESTORE_TILE = 512
RESTORE_OVERLAP = 128
#: Restorers made of several bundled networks: name -> (N1, N2) of the Golf optimizer
#: (:class:`~proxdeblur.solvers.golf.GolfRestorer`, ``steps`` corrections).
COMPOSITE_RESTORERS = {"golf": ("golf_n1", "golf_n2")}
#: N2's corrections in the bundled Golf pair unless told: the best count on the restorer
#: benchmark's tuning set (mean PSNR 23.68, 23.90, 23.84, 23.57 dB at t = 0…3, the blurred
#: input 23.49) — with these weights the paper's 3 already over-sharpens.
GOLF_STEPS = 1
#: The bundled restorers of photographs (the GCM generator restores gradient fields
#: inside GCM, not photographs; Golf's N1 runs with its N2 as ``golf``).
RESTORER_NAMES = (*(n for n in bundled_names("restorer") if n != "gcm_generator"
                    and not any(n in parts for parts in COMPOSITE_RESTORERS.values())),
                  *COMPOSITE_RESTORERS)


@functools.lru_cache(maxsize=4)
def _cached(name: str, device: str | None, precision: str, steps: int | None):
    from .priors.zoo import load_prior

    def load(network, role="restorer"):
        return load_prior(network, role, device=device, precision=precision,
                          tile_size=RESTORE_TILE, tile_overlap=RESTORE_OVERLAP)

    if name in COMPOSITE_RESTORERS:
        from .solvers.golf import GolfRestorer

        n1, n2 = COMPOSITE_RESTORERS[name]
        return GolfRestorer(load(n1), load(n2, "gradient"),
                            GOLF_STEPS if steps is None else steps)
    return load(name)


def get_restorer(model=DEFAULT_RESTORER, device=None, precision: str = "auto",
                 steps: int | None = None):
    """A :class:`~proxdeblur.priors.base.Restorer` as given, or a bundled name / weights
    path loaded once per process and setting. ``steps``: the Golf optimizer's corrections
    after N1 (``model="golf"`` only; default :data:`GOLF_STEPS`)."""
    if isinstance(model, Restorer):
        if steps is not None:
            raise InvalidArgumentError("steps", "only with model='golf'", steps)
        return model
    name = check_network_name(model, "restorer", "model", names=RESTORER_NAMES)
    if steps is not None:
        if name not in COMPOSITE_RESTORERS:
            raise InvalidArgumentError("steps", "only with model='golf'", steps)
        steps = check_int(steps, "steps", minimum=0)
    try:
        return _cached(name, None if device is None else str(device), precision, steps)
    except InvalidArgumentError as exc:  # load_prior's own argument is this one's model
        if exc.argument != "name_or_path":
            raise
        raise InvalidArgumentError("model", exc.expected, exc.got) from None
    except ImageFileError as exc:
        raise InvalidArgumentError("model", "a restorer's weights file", str(exc)) from None


def restore(image, model=DEFAULT_RESTORER, *, device=None, precision: str = "auto",
            steps: int | None = None) -> np.ndarray:
    """Remove blur from ``image`` with a restorer network (module docstring).

    Parameters
    ----------
    image : array_like (H, W) or (H, W, C)
        The blurred image on [0, 1] (integer arrays by their range).
    model : str, Path or Restorer
        A bundled restorer's name, a weights file, or any object with ``restore(x)``.
    device, precision
        Where and in what arithmetic a loaded network runs (see
        :class:`~proxdeblur.priors.learned.LearnedPrior`).
    steps : int, optional
        With ``model="golf"``: N2's corrections after N1 (default :data:`GOLF_STEPS`, chosen
        on a tuning set; 0 is N1 alone).

    Returns
    -------
    ndarray
        The restored image, of the input's shape and float dtype (not clipped).
    """
    array = as_image(image, "image", min_side=8, unit=True)
    restorer = get_restorer(model, device, precision, steps)
    out = np.asarray(restorer.restore(array))
    if out.shape != array.shape:
        raise InvalidArgumentError("model", f"a restorer whose output has the input's shape "
                                   f"{array.shape}", out.shape)
    return out.astype(array.dtype, copy=False)
