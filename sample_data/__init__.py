"""The demo practice, and generators of practices for the benchmarks."""
