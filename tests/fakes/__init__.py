"""Fakes of the outside world for tests: an in-memory keyring and a fake Prismatic stack."""
