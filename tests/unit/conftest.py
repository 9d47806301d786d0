"""Unit tests run the action plugins in-process; tests/conftest.py loads the collection."""
