"""The one exception type for a user's mistake (bad folder, corrupt image, missing model file...)."""


class CourseError(ValueError):
    """A problem with the user's input, described in one line that names the file or value at fault.

    The CLI prints it as ``error: <message>`` and exits with status 2; notebooks and widgets show the
    message.  Anything else that goes wrong is a bug in the course and keeps its traceback.
    """
