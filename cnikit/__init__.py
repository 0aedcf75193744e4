"""cnikit: local tooling for Prismatic code-native integrations (CNI)."""

__version__ = "0.1.0"
