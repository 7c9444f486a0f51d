"""Pure, headless face-swap core: numpy + OpenCV + MediaPipe only (no Qt, no onnxruntime)."""
