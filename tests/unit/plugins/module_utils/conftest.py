# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-ins for the netlink messages _rtnl_codec decodes (header fields by key, attributes through get_attr()),
shared by the tests of the netlink adapter's modules."""
import os

import pytest

# No unit test may keep compiled code in the host's /var/cache (a module imported from a zip would): see _codecache.
os.environ["LINUXNET_CONTAINERS_CODE_CACHE"] = "off"


class Message(dict):
    """A netlink message as _rtnl_codec.Message shows it: header fields by key, attributes through get_attr()."""

    def __init__(self, attrs=None, **fields):
        super().__init__(fields)
        self.attrs = attrs or {}

    def get_attr(self, name):
        return self.attrs.get(name)


def link_message(index, ifname, kind=None, master=None, port=None, flags=1, **attrs):
    linkinfo = {}
    if kind:
        linkinfo["IFLA_INFO_KIND"] = kind
    if port is not None:
        linkinfo["IFLA_INFO_SLAVE_KIND"] = "bridge"
        linkinfo["IFLA_INFO_SLAVE_DATA"] = Message(port)
    attrs = dict({"IFLA_IFNAME": ifname, "IFLA_MTU": 1500, "IFLA_ADDRESS": "02:00:00:00:00:%02x" % index}, **attrs)
    if master:
        attrs["IFLA_MASTER"] = master
    if linkinfo:
        attrs["IFLA_LINKINFO"] = Message(linkinfo)
    return Message(attrs, index=index, flags=flags)


def route(dst, dst_len, table=254, **attrs):
    return Message(dict(attrs, RTA_DST=dst, RTA_TABLE=table), dst_len=dst_len, table=min(table, 252))


@pytest.fixture(name="message")
def fixture_message():
    return Message


@pytest.fixture(name="link_message")
def fixture_link_message():
    return link_message


@pytest.fixture(name="route")
def fixture_route():
    return route
