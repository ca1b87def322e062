"""``python -m helpers``: see ``helpers.cli``."""

import sys

from helpers.errors import CourseError

try:
    from helpers.cli import main
except CourseError as exc:  # the course's folder is not found: one line, as for any user's mistake
    print(f"error: {exc}", file=sys.stderr)
    sys.exit(2)

sys.exit(main())
