"""The config contract: schema access, validation, comment-keeping edits, safe saves."""
