"""langso-search: Vietnamese problem-to-solution search over the Làng số platforms and stories."""

__version__ = "0.1.0"
