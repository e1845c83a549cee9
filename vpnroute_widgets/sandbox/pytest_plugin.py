"""pytest fixtures for users' own tests (filled in by the sandbox work)."""
