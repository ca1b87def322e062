"""The one exception type for a user's mistake (bad folder, corrupt image, missing model file...)."""


class CourseError(ValueError):
    """A problem with the user's input, in one line naming the file or value at fault (the CLI: ``error: ...``,
    status 2).  Anything else that goes wrong is a bug in the course and keeps its traceback."""
