"""The virtual camera output: other apps (video calls) see the swapped stream as a webcam.

Every frame a sink receives has passed through :class:`LabelledVirtualCamera`, which burns the visible
"AI-altered" label into its pixels (:mod:`...core.media.live_label`): the live runner only ever talks
to a sink through it, and it has no switch to turn the label off.

The real sink is pyvirtualcam, an optional extra (``pip install faceswap-desktop[virtualcam]``): on
Linux it needs the v4l2loopback kernel module, on Windows OBS's or UnityCapture's virtual camera, on
macOS OBS's. Without them :func:`open_virtual_camera` raises
:class:`~...core.errors.CameraUnavailable` with what to install.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from ...core.errors import CameraUnavailable
from ...core.media.live_label import burn_live_label
from ...core.types import Image

log = logging.getLogger(__name__)

DRIVER_HINT = "a virtual camera driver is needed: v4l2loopback on Linux, OBS Studio's on Windows and macOS"
INSTALL_HINT = f"install the extra (pip install 'faceswap-desktop[virtualcam]'); {DRIVER_HINT}"


class VirtualCameraSink(Protocol):
    """Something that shows BGR frames as a camera device."""

    name: str

    def send(self, image: Image) -> None: ...

    def close(self) -> None: ...


class LabelledVirtualCamera:
    """The only way frames reach a sink: each one is labelled "AI-altered" first (no option to skip it)."""

    def __init__(self, sink: VirtualCameraSink) -> None:
        self.sink = sink
        self.frames = 0

    @property
    def name(self) -> str:
        return self.sink.name

    def send(self, image: Image) -> None:
        """Label ``image`` (a copy; the caller's frame is untouched) and send it."""
        self.sink.send(burn_live_label(image))
        self.frames += 1

    def close(self) -> None:
        self.sink.close()


class PyVirtualCamSink:
    """A pyvirtualcam camera of a fixed size; frames of another size are refused by pyvirtualcam."""

    def __init__(self, width: int, height: int, fps: float) -> None:
        try:
            import pyvirtualcam
        except ImportError:
            raise CameraUnavailable(f"the virtual camera is not installed: {INSTALL_HINT}") from None
        try:
            self._camera: Any = pyvirtualcam.Camera(
                width, height, fps, fmt=pyvirtualcam.PixelFormat.BGR, print_fps=False
            )
        except (RuntimeError, ValueError) as error:
            raise CameraUnavailable(f"no virtual camera device: {error} ({DRIVER_HINT})") from None
        self.name = f"virtual camera {self._camera.device}"
        log.info("sending to %s (%dx%d at %.0f fps)", self.name, width, height, fps)

    def send(self, image: Image) -> None:
        self._camera.send(image)

    def close(self) -> None:
        self._camera.close()


def open_virtual_camera(width: int, height: int, fps: float) -> LabelledVirtualCamera:
    """The system's virtual camera, labelled; :class:`CameraUnavailable` says what is missing."""
    return LabelledVirtualCamera(PyVirtualCamSink(width, height, fps))
