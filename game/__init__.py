"""Handler One: a terminal text adventure on a radio link."""

__version__ = "0.1.0"
