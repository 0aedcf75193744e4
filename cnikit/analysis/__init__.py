"""cnikit.analysis."""
