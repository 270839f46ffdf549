"""Solvers: plain functions returning a :class:`SolverResult`, each with a ``*_iter`` generator."""

from .gcm import gcm, gcm_iter
from .golf import golf, golf_iter
from .hqs import hqs, hqs_iter
from .prior_gradient import prior_gradient_descent, prior_gradient_descent_iter
from .proximal_gradient import proximal_gradient, proximal_gradient_iter
from .result import IterationState, SolverResult

__all__ = [
    "IterationState",
    "SolverResult",
    "gcm",
    "gcm_iter",
    "golf",
    "golf_iter",
    "hqs",
    "hqs_iter",
    "prior_gradient_descent",
    "prior_gradient_descent_iter",
    "proximal_gradient",
    "proximal_gradient_iter",
]
