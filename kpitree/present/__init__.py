"""Presentation: numbers, tables and exports for people and programs. Never computes."""
