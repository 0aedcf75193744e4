"""cnikit test suite."""
