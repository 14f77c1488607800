"""The root of every error ol-notebook raises on purpose.

Front ends catch `OLError` to show its message as-is: each subclass's message names the
culprit (the package, the version, the mirror, the lambda) and says what to do.
"""


class OLError(Exception):
    """An expected failure with a message meant for the user."""
