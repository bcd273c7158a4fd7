# -*- coding: utf-8 -*-
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The planner's file part: each endpoint's /etc/netns resolv.conf and hosts, and which endpoints a run must look
at. Pure.

A hosts file lists every peer of the endpoint's networks, so N endpoints on one network have N files of N lines:
the output itself grows with N squared. Everything else is computed once per run, not once per file: each
network's peer lines are formatted once (`_peer_lines`) and the host's resolv.conf is parsed once, so building a
file is one pass over already formatted lines.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

from ansible_collections.linuxnet.containers.plugins.module_utils import _files as files
from ansible_collections.linuxnet.containers.plugins.module_utils._models import Endpoint, State

PeerLine = Tuple[str, str, str]   # (peer name, address, the hosts line "address\tname aliases...")


class FilePlan:
    """Renders and compares the files of one run: `new` the next state, `view` the HostView read for it."""

    def __init__(self, old: State, new: State, view):
        self.old = old
        self.new = new
        self.view = view
        self._members: Optional[dict] = None
        self._peers: Dict[str, List[PeerLine]] = {}
        self._blocks: Dict[str, Optional[Tuple[str, Dict[str, Tuple[int, int]]]]] = {}
        self._resolv: Optional[Tuple[List[str], List[str], List[str]]] = None
        self._reachable: Dict[tuple, List[str]] = {}

    def actions(self) -> List[tuple]:
        """(op, kwargs, text) of the endpoints the view read files for (see file_scope); the others stay."""
        scope = set(self.view.files)
        actions = []
        for name in sorted(scope & (set(self.old.endpoints) - set(self.new.endpoints))):
            if self.view.files.get(name):
                actions.append(("remove_endpoint_dir", {"name": name}, "remove %s" % files.endpoint_dir(name)))
        for name in sorted(scope & set(self.new.endpoints)):
            desired = self.endpoint_files(self.new.endpoints[name])
            actual = self.view.files.get(name, {})
            for filename in ("resolv.conf", "hosts"):
                path = "%s/%s" % (files.endpoint_dir(name), filename)
                if filename in desired and actual.get(filename) != desired[filename]:
                    actions.append(("write_text", {"path": path, "content": desired[filename]}, "write %s" % path))
                elif filename not in desired and filename in actual:
                    actions.append(("remove_file", {"path": path}, "remove %s" % path))
        return actions

    def endpoint_files(self, endpoint: Endpoint) -> Dict[str, str]:
        """resolv.conf and hosts for an endpoint; container mode shares its target's, like Docker."""
        if endpoint.mode == "container":
            target = self.new.namespace_owner(endpoint.name)
            return self.endpoint_files(target) if target else {}
        if endpoint.mode == "host" and not (endpoint.dns or endpoint.etc_hosts or endpoint.dns_search
                                            or endpoint.dns_options):
            return {}
        return {"resolv.conf": self._resolv_conf(endpoint), "hosts": self._hosts(endpoint)}

    def _resolv_conf(self, endpoint: Endpoint) -> str:
        if self._resolv is None:
            self._resolv = files.parse_resolv_conf(self.view.host_resolv_conf)
        servers, search, options = self._resolv
        own_namespace = endpoint.mode != "host"
        if endpoint.dns:
            servers = list(endpoint.dns)
        else:
            key = (own_namespace, frozenset(files.families(endpoint)))
            if key not in self._reachable:
                self._reachable[key] = files.reachable_resolvers(servers, own_namespace, set(key[1]))
            servers = self._reachable[key]
        return files.render_resolv_conf(servers, endpoint.dns_search or search, endpoint.dns_options or options)

    def _peer_lines(self, network_name: str) -> List[PeerLine]:
        """The members of a network, then its remote endpoints, each address as its formatted hosts line."""
        if network_name not in self._peers:
            if self._members is None:
                self._members = self.new.members()
            network = self.new.networks.get(network_name)
            peers = [(name, peer.addresses, peer.aliases) for name, peer in self._members.get(network_name, ())]
            peers += [(name, (address,), tuple(aliases)) for name, address, aliases in
                      (network.remote_endpoints if network else ())]
            self._peers[network_name] = [(name, address, files.hosts_line(address, (name,) + aliases))
                                         for name, addresses, aliases in peers for address in addresses]
        return self._peers[network_name]

    def _block(self, network_name: str) -> Optional[Tuple[str, Dict[str, Tuple[int, int]]]]:
        """A network's peer lines joined once, with where each peer's lines are, when every address of it is
        listed once and each peer's lines are together: a one-network endpoint's peers are then that text
        without its own part. None otherwise (the general walk of _hosts applies)."""
        if network_name not in self._blocks:
            lines = self._peer_lines(network_name)
            spans: Dict[str, Tuple[int, int]] = {}
            offset, previous, block = 0, None, None
            for name, _address, line in lines:
                if name != previous and name in spans:
                    break
                start = spans[name][0] if name in spans else offset
                offset += len(line) + 1
                spans[name], previous = (start, offset), name
            else:
                if len({address for _name, address, _line in lines}) == len(lines):
                    block = ("".join(line + "\n" for _name, _address, line in lines), spans)
            self._blocks[network_name] = block
        return self._blocks[network_name]

    def _hosts(self, endpoint: Endpoint) -> str:
        block = self._block(endpoint.attachments[0].network) if len(endpoint.attachments) == 1 else None
        if block is not None:
            attachment = endpoint.attachments[0]
            text, spans = block
            start, end = spans.get(endpoint.name, (0, 0))
            own = "".join(files.hosts_line(address, (endpoint.name,) + attachment.aliases) + "\n"
                          for address in attachment.addresses)
            extra = "".join(files.hosts_line(address, (host,)) + "\n" for host, address in endpoint.etc_hosts)
            return files.HOSTS_HEAD + own + text[:start] + text[end:] + extra
        lines, seen = [], set()
        for attachment in endpoint.attachments:
            for address in attachment.addresses:
                lines.append(files.hosts_line(address, (endpoint.name,) + attachment.aliases))
                seen.add(address)
        name = endpoint.name
        for attachment in endpoint.attachments:
            for peer_name, address, line in self._peer_lines(attachment.network):
                if peer_name == name or address in seen:
                    continue
                seen.add(address)
                lines.append(line)
        lines.extend(files.hosts_line(address, (host,)) for host, address in endpoint.etc_hosts)
        return files.render_hosts_lines(lines)


def file_scope(old: State, new: State, endpoints) -> Set[str]:
    """Endpoints whose /etc/netns files a run must look at: those it reconciles or removes, every endpoint on a
    network whose record or members changed (their hosts files list each other), and the sharers of all of
    them (a container-mode endpoint has its target's files). The rest cannot have changed, so a run that
    touches one endpoint reads and renders one endpoint's files, not every endpoint's."""
    scope = set(endpoints) | (set(old.endpoints) - set(new.endpoints))
    before, after = old.members(), new.members()
    for network in set(before) | set(after) | set(old.networks) | set(new.networks):
        if before.get(network) != after.get(network) or old.networks.get(network) != new.networks.get(network):
            scope.update(name for name, _attachment in after.get(network, ()))
    scope.update(name for name, endpoint in new.endpoints.items()
                 if endpoint.mode == "container" and (new.namespace_owner(name) or endpoint).name in scope)
    return scope
