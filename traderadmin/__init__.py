"""TraderAdmin toolkit: the library behind the invoke tasks.

The command-line layer (`tasks/`) only parses flags and calls in here; nothing
in this package imports it.
"""
