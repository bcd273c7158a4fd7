# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""JMESPath queries over the collection's facts."""

from __future__ import annotations

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import InvalidOption, MissingDependency


def run_query(expression: str, data: dict):
    try:
        import jmespath
    except ImportError:
        raise MissingDependency("query needs the jmespath Python library on the managed node: "
                                "apt install python3-jmespath, dnf install python3-jmespath, or pip install jmespath"
                                ) from None
    try:
        return jmespath.search(expression, data)
    except jmespath.exceptions.JMESPathError as exc:
        raise InvalidOption("query", "%r is not a valid JMESPath expression (%s)" % (expression, exc),
                            "check the syntax at jmespath.org") from None
