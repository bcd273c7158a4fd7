# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline stand-in for the get-pip script that ansible-test downloads when it bootstraps a venv.

ansible-test fetches ``get-pip-<version>.py`` from ci-files.testing.ansible.com, a host that may be
out of reach, unless ``~/.ansible/test/cache/get_pip_<version>.py`` exists. scripts/quality.sh puts
this file there under that name, next to the pip wheel of the same version downloaded from PyPI.
Like get-pip, it runs pip from that wheel to install the pinned pip (and whatever else ansible-test
asks for) into the new venv; every other package then comes from the configured index as usual.
"""

from __future__ import annotations

import glob
import os
import sys

# get-pip's own switches; ansible-test always passes both, and this stand-in never adds either package.
GET_PIP_SWITCHES = ("--no-setuptools", "--no-wheel")


def pinned_pip_version(arguments: list[str]) -> str:
    """Return the version in the ``pip==X`` requirement that ansible-test passes."""
    for argument in arguments:
        if argument.startswith("pip=="):
            return argument[len("pip=="):]
    raise SystemExit("get_pip stand-in: no pip==VERSION requirement among the arguments %r" % (arguments,))


def pip_wheel(version: str) -> str:
    """Return the path of the pip wheel that scripts/quality.sh put beside this file."""
    directory = os.path.dirname(os.path.abspath(__file__))
    wheels = glob.glob(os.path.join(directory, "pip-%s-py3-none-any.whl" % version))
    if not wheels:
        raise SystemExit(
            "get_pip stand-in: pip %s wheel missing in %s; fetch it with: pip download --no-deps pip==%s -d %s"
            % (version, directory, version, directory)
        )
    return wheels[0]


def main() -> None:
    arguments = [argument for argument in sys.argv[1:] if argument not in GET_PIP_SWITCHES]
    sys.path.insert(0, pip_wheel(pinned_pip_version(arguments)))
    from pip._internal.cli.main import main as pip_main  # pylint: disable=import-outside-toplevel

    sys.exit(pip_main(["install", "--upgrade", "--force-reinstall", *arguments]))


if __name__ == "__main__":
    main()
