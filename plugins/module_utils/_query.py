# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""JMESPath queries over the collection's facts."""

from __future__ import annotations

from ansible_collections.linuxnet.containers.plugins.module_utils._errors import InvalidOption, MissingDependency


QUERY_MAX = 4096


def compile_query(expression):
    """The parsed expression; refused with the field named before anything is read or locked."""
    if not isinstance(expression, str) or not expression.strip():
        raise InvalidOption("query", "expected a JMESPath expression, got %r" % (expression,),
                            "write it like networks[].name")
    if len(expression) > QUERY_MAX or any(not ch.isprintable() and ch not in "\t\n\r" for ch in expression):
        raise InvalidOption("query", "%r is longer than %d characters or holds control characters"
                            % (expression[:80], QUERY_MAX), "write a plain JMESPath expression")
    try:
        import jmespath
    except ImportError:
        raise MissingDependency("query needs the jmespath Python library on the managed node: "
                                "apt install python3-jmespath, dnf install python3-jmespath, or pip install jmespath"
                                ) from None
    try:
        return jmespath.compile(expression)
    except jmespath.exceptions.JMESPathError as exc:
        raise InvalidOption("query", "%r is not a valid JMESPath expression (%s)" % (expression, exc),
                            "check the syntax at jmespath.org") from None
    except RecursionError:
        raise InvalidOption("query", "%r nests too deeply" % (expression[:80],),
                            "write a simpler JMESPath expression") from None


def run_query(expression: str, data: dict):
    import jmespath
    try:
        return compile_query(expression).search(data)
    except jmespath.exceptions.JMESPathError as exc:
        raise InvalidOption("query", "%r failed on the facts (%s)" % (expression, exc),
                            "check the expression's functions and types at jmespath.org") from None
