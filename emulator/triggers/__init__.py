"""emulator.triggers."""
