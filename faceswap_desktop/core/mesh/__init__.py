"""The offline mesh engine: the source face's texture warped onto the target's 478-point mesh, shape
transfer, masks, colour, blending and the seam measure."""
