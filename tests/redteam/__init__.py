"""Hostile submissions for the real course (see README.md beside this file)."""
