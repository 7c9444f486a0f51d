"""The optional Ray cluster: whether Ray is installed, how to install it, and the address it is given.

Light on purpose (no Ray import, no batch machinery): the window asks these when it builds a menu or a
dialog.
"""

from __future__ import annotations

import importlib.util

RAY_INSTALL_HINT = "pip install 'faceswap-desktop[cluster]'"
AUTO_CLUSTER = "auto"


def ray_installed() -> bool:
    """Whether the optional ``[cluster]`` extra (Ray) can be imported, without importing it."""
    return importlib.util.find_spec("ray") is not None


def cluster_target(address: str) -> str:
    """The address Ray is given: the user's setting, or ``auto`` when it is empty (the cluster started
    on this machine with ``ray start --head``, else a local Ray instance)."""
    return address.strip() or AUTO_CLUSTER
