"""Weights of learned priors: the bundled ones, or a local file. Never a download.

A weights file is a ``torch.save`` of a plain dictionary::

    {"architecture": "DnCNN", "config": {...constructor arguments...},
     "state_dict": {...tensors...}, "meta": {...model card...}}

loaded with ``torch.load(..., weights_only=True)`` (no code is unpickled).
Bundled files live in ``proxdeblur/priors/weights/`` beside a JSON model card
each (architecture and size, training command, data, seconds of training,
measured scores), and are listed in :data:`BUNDLED` (:mod:`proxdeblur.priors.bundled`)
with their SHA-256, which is checked before every load.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

import torch

from ..errors import ImageFileError, InvalidArgumentError
from .bundled import BUNDLED
from .learned import ROLES, LearnedPrior
from .nets import DMPHN, BiSkip, DnCNN, GCMGenerator, GolfNet, UNetDenoiser
from .nets.golf import GolfResidual

__all__ = ["ARCHITECTURES", "BUNDLED", "load_prior", "load_network", "model_card", "bundled_path"]

#: Network classes a weights file may name.
ARCHITECTURES = {"DnCNN": DnCNN, "GCMGenerator": GCMGenerator, "UNetDenoiser": UNetDenoiser,
                 "DMPHN": DMPHN, "GolfNet": GolfNet, "BiSkip": BiSkip}
#: The role a weights file's network plays unless told otherwise.
DEFAULT_ROLES = {"DnCNN": "denoiser", "GCMGenerator": "restorer", "UNetDenoiser": "denoiser",
                 "DMPHN": "restorer", "GolfNet": "restorer", "BiSkip": "restorer"}


def bundled_path(name: str) -> Path:
    """Path of a bundled weights file inside the installed package."""
    entry = BUNDLED[name]
    return Path(str(resources.files("proxdeblur.priors") / "weights" / entry["file"]))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def model_card(name: str) -> dict:
    """The model card of a bundled prior (a dict read from its JSON file)."""
    if name not in BUNDLED:
        raise InvalidArgumentError("name", f"one of the bundled priors {sorted(BUNDLED)}",
                                   repr(name))
    card = bundled_path(name).with_suffix(".json")
    return json.loads(card.read_text())


def load_network(name_or_path, *, check: bool = True) -> tuple[torch.nn.Module, dict]:
    """Build the network stored in a bundled or local weights file; return it and its meta."""
    if str(name_or_path) in BUNDLED:
        name = str(name_or_path)
        path = bundled_path(name)
        if check and _sha256(path) != BUNDLED[name]["sha256"]:
            raise ImageFileError(f"{path}: checksum mismatch, the bundled weights file is "
                                 "corrupt (reinstall proxdeblur)")
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise InvalidArgumentError(
                "name_or_path", f"a bundled prior {sorted(BUNDLED)} or an existing weights file",
                str(name_or_path))
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ImageFileError(f"{path}: not a readable weights file ({exc.__class__.__name__})") \
            from exc
    if not isinstance(data, dict) or not {"config", "state_dict"} <= set(data):
        raise ImageFileError(f"{path}: expected a dict with 'config' and 'state_dict'")
    architecture = data.get("architecture", "DnCNN")
    if architecture not in ARCHITECTURES:
        raise ImageFileError(f"{path}: unknown architecture {architecture!r} "
                             f"(known: {sorted(ARCHITECTURES)})")
    try:
        network = ARCHITECTURES[architecture](**data["config"])
        network.load_state_dict(data["state_dict"], strict=True)
    except (TypeError, ValueError, RuntimeError) as exc:
        first_line = str(exc).strip().splitlines()[0]
        raise ImageFileError(f"{path}: weights do not match the {architecture} architecture "
                             f"({first_line})") from exc
    return network.eval(), dict(data.get("meta", {}))


def load_prior(name_or_path, role: str | None = None, *, device=None, **options) -> LearnedPrior:
    """A :class:`~proxdeblur.priors.learned.LearnedPrior` from bundled or local weights.

    Parameters
    ----------
    name_or_path : str or Path
        A key of :data:`BUNDLED` or the path of a weights file.
    role : str, optional
        ``"denoiser"``, ``"restorer"`` or ``"gradient"``; default: the bundled
        entry's role, else the architecture's (:data:`DEFAULT_ROLES`). A Golf network
        (``x + R(x)``) is a restorer, and as a ``"gradient"`` its residual branch R.
    device : optional
        Where to run (default: CUDA when available, else CPU).
    options
        Passed to :class:`~proxdeblur.priors.learned.LearnedPrior` (tiling, weight).
    """
    network, _ = load_network(name_or_path)
    natural = BUNDLED.get(str(name_or_path), {}).get(
        "role", DEFAULT_ROLES.get(type(network).__name__, "denoiser"))
    role = natural if role is None else role
    if role not in ROLES:
        raise InvalidArgumentError("role", f"one of {ROLES}", repr(role))
    if isinstance(network, GolfNet) and role in ("gradient", "restorer"):
        # Golf's N1 and N2 are x + R(x): restorers, and N2's residual branch R is the prior
        # gradient (section 4)
        module = GolfResidual(network) if role == "gradient" else network
        return LearnedPrior(module, role, device=device, **options)
    if role != natural:  # a network is called as its role needs (a noise level, or not)
        raise InvalidArgumentError("name_or_path", f"weights of a {role} (these are a "
                                   f"{type(network).__name__} {natural})", str(name_or_path))
    return LearnedPrior(network, role, device=device, **options)
