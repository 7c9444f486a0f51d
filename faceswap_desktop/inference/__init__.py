"""Model runtimes: the only layer that imports onnxruntime (and dlib)."""
