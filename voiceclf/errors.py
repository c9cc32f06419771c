"""The one error family the package raises for bad input.

Every problem a user can cause — a corrupt clip, a folder in the wrong layout,
a split the data cannot support, a tampered model file — surfaces as a
:class:`VoiceclfError` whose message says, in plain words, what was wrong and
with which file. The app shows it with ``st.error``; the CLI prints it on one
line and exits with status 1. Anything else escaping the package is a bug.
"""


class VoiceclfError(ValueError):
    """Base class: a problem with the user's input, explained in its message."""


class AudioError(VoiceclfError):
    """A clip cannot be used: unreadable, empty, too short or long, silent, NaN."""


class DatasetError(VoiceclfError):
    """A dataset's layout, protocol file or feature table is not usable."""


class ModelError(VoiceclfError):
    """A model cannot be trained, evaluated, saved or loaded as asked."""
