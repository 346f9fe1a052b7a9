"""The one exception type for bad input: the CLI prints its message as a single line, never a traceback."""


class UserError(Exception):
    """Bad input or configuration. The message names the file, line or field and says what to do."""
