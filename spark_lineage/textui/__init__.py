"""Terminal output shared by every command: tables that fit the terminal, progress on stderr.

Imports nothing of the project, so that any formatter or command can use it without a cycle.
"""
