"""Live mode: camera frames swapped in real time, recorded, and sent to a labelled virtual camera."""
