"""Tests of the pure validation engine (no Django)."""
