"""cnikit serve tests."""
