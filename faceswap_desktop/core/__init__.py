"""Pure, headless face-swap core: numpy + OpenCV only (no Qt, no onnxruntime). media/ reads and writes
files, mesh/ is the offline engine, video/ tracks people over time; the pipeline, roles, types, settings
and errors sit here at the top."""
