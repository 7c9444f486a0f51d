"""faceswap-desktop: desktop face swapping with live preview and honest identity scores."""

__version__ = "0.1.0"
