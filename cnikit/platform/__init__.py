"""cnikit.platform."""
