"""Video over time: tracking the chosen person, temporal smoothing, scene cuts, the cast."""
