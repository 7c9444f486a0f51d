"""Reading, decoding, writing and labelling files: images and videos (decoded in helper processes),
safe output paths, frame-size memory plans and the synthetic-media labels."""
