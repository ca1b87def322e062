"""Is this interpreter one the course supports?  Run by ``make`` with the interpreter it is about to use.

    python3 scripts/check_python.py OLDEST NEWEST [COMMAND]
    e.g.  python3.13 scripts/check_python.py 3.10 3.13 "make lab"

Prints nothing and exits 0 when ``OLDEST <= this Python <= NEWEST`` (TensorFlow publishes wheels for exactly those);
otherwise prints one line, ``error: ...``, naming the newest supported version and how to pick it, and exits 2.
Written for any Python (even an old one), so that an unsupported interpreter still gets that one clear line.
"""

import sys


def parse(text):
    major, minor = text.split(".")
    return int(major), int(minor)


def problem(found, oldest, newest, command="make lab"):
    """The error line for Python ``found`` (a (major, minor) pair), or None when it is supported."""
    if oldest <= found <= newest:
        return None
    have = "%d.%d" % found
    supported = "%d.%d-%d.%d" % (oldest + newest)
    pick = "%s PYTHON=python%d.%d" % (command, newest[0], newest[1])
    if found > newest:
        return (
            "error: Python %s is newer than TensorFlow supports (%s); the newest supported is %d.%d: install it "
            "and run `%s`" % (have, supported, newest[0], newest[1], pick)
        )
    return "error: Python %s is too old; the course needs %s: install %d.%d and run `%s`" % (
        have,
        supported,
        newest[0],
        newest[1],
        pick,
    )


def main(argv):
    if len(argv) not in (2, 3):
        print("usage: python scripts/check_python.py OLDEST NEWEST [COMMAND]")
        return 2
    message = problem(tuple(sys.version_info[:2]), parse(argv[0]), parse(argv[1]), *argv[2:])
    if message:
        sys.stderr.write(message + "\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
