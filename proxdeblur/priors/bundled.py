"""The table of bundled weights, kept free of torch so that importing
:mod:`proxdeblur` (which needs the bundled denoiser names) does not load it.

:mod:`proxdeblur.priors.zoo` loads the files; this module only names them.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InvalidArgumentError

__all__ = ["BUNDLED", "DENOISER_COMBINATIONS", "bundled_names", "check_network_name"]

#: Bundled weights: name -> file (in ``proxdeblur/priors/weights/``), role, SHA-256.
BUNDLED: dict[str, dict] = {
    "dncnn": {"file": "dncnn_gray.pt", "role": "denoiser",
              "sha256": "a04f331cb899dc5e3f97c55599001bb19ae3666d72ab8d0fe9d21e17ac41e2d3"},
    "drunet": {"file": "drunet_gray.pt", "role": "denoiser",
               "sha256": "2c0bb7e16ad600bf624d073f41811aec24daa6e1b4040f53133ca52881b7dd65"},
    "gcm_generator": {"file": "gcm_generator.pt", "role": "restorer",
                      "sha256": "913fd07b97f40b4c213b837af0b8d29c4c50d5c247e8177b24f4913d6db51578"},
    "dmphn": {"file": "dmphn_gray.pt", "role": "restorer",
              "sha256": "011859d69742531326e586d29e91dd7800d81f0d162acbcab9bbc63c19525ea8"},
    "biskip": {"file": "biskip_gray.pt", "role": "restorer",
               "sha256": "c7fa7b97e15e0b11be297fa03390f79b16b7f1165f018778629c869eca960ed3"},
    "golf_n1": {"file": "golf_n1.pt", "role": "restorer",
                "sha256": "75c78ccc7a28a158f6d4e047946f7bd4387428c83f48f465a1c3ef24f99731f6"},
    "golf_n2": {"file": "golf_n2.pt", "role": "gradient",
                "sha256": "094f65bee08295ac04fdadbbbebdc37835a98e4107ce5baaf6add9a0af78a71f"},
}

#: Bundled denoisers used together as one
#: (:class:`~proxdeblur.priors.denoiser_ensemble.DenoiserEnsemble`, built by
#: :func:`proxdeblur.denoising.get_denoiser`), named by joining bundled names with
#: ``+``. Any such join is accepted; the ones listed here are offered by name.
DENOISER_COMBINATIONS = ("dncnn+drunet",)


def bundled_names(role: str) -> tuple[str, ...]:
    """Names of the bundled priors of one role, in the table's order."""
    return tuple(name for name, entry in BUNDLED.items() if entry["role"] == role)


def check_network_name(name, role: str, argument: str, *, joined: bool = False,
                       names: tuple[str, ...] | None = None) -> str:
    """``name`` when it is an existing weights file or bundled network(s) of ``role``
    (among ``names``, default every bundled one; with ``joined``, names joined by
    ``+``); otherwise an error naming ``argument``, before anything is loaded."""
    name = str(name)
    names = bundled_names(role) if names is None else tuple(names)
    if Path(name).is_file():
        return name
    if not all(part in names for part in (name.split("+") if joined else [name])):
        known = ", ".join(names) if names else "none bundled yet"
        together = ", names joined by '+'" if joined else ""
        raise InvalidArgumentError(argument, f"a bundled {role} ({known}){together} or an "
                                   "existing weights file", repr(name))
    return name
