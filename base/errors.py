"""The root of every error The Eye raises on purpose."""


class EyeError(Exception):
    """Base class: catch this to catch anything The Eye raises knowingly."""
