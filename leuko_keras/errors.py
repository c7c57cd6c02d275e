"""Errors a user can act on.

Every problem caused by the user's input (a corrupt image, a wrong mask, an
impossible size, an empty folder) is raised as :class:`LeukoInputError` with a
one-line message that names the file and says what to do. The CLI turns it
into that one line on stderr and exit code 2, with no traceback.

>>> raise LeukoInputError("cells/001.bmp: file is empty (0 bytes); re-export the image")
Traceback (most recent call last):
...
leuko_keras.errors.LeukoInputError: cells/001.bmp: file is empty (0 bytes); re-export the image
"""

from __future__ import annotations


class LeukoInputError(ValueError):
    """Bad user input; the message is one line naming the file and the fix."""

    def __init__(self, message: str) -> None:
        # One line on purpose: the CLI prints it as-is and users grep logs for it.
        super().__init__(" ".join(str(message).split()))
