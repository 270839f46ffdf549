"""Exception types raised by proxdeblur for bad input.

Every error raised for a user mistake is an :class:`ProxdeblurError`; those
that concern a value (an array, a number, a file's contents) also derive from
:class:`ValueError`, so ``except ValueError`` keeps working for callers that
know nothing about this library.
"""

from __future__ import annotations

__all__ = ["ProxdeblurError", "InvalidArgumentError", "ImageFileError"]


class ProxdeblurError(Exception):
    """Base class of every exception raised by proxdeblur for bad input."""


class InvalidArgumentError(ProxdeblurError, ValueError):
    """An argument has the wrong value, shape or type.

    The message starts with the argument's name and says what was expected.
    """

    def __init__(self, argument: str, expected: str, got: object | None = None):
        self.argument = argument
        self.expected = expected
        self.got = got
        message = f"{argument}: expected {expected}"
        if got is not None:
            message += f", got {got}"
        super().__init__(message)


class ImageFileError(ProxdeblurError, ValueError):
    """A file could not be read or written as an image or a kernel."""
