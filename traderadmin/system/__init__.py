"""The host machine, below every other layer: background processes with pid files
(`processes`), where the toolkit keeps its cache and state (`paths`), and which
operating system this is (`distro`). Nothing here imports the rest of the toolkit.
"""
