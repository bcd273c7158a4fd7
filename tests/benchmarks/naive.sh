#!/bin/sh
# Copyright (c) linuxnet.containers contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# The naive peer of compare.py: the workload as a shell user types it, one ip(8) or nft(8) command per step.
#   naive.sh setup|teardown COUNT PORTS
# Addresses and ports as in workload.py. Run it inside a sandbox host.
set -eu
action=$1 count=$2 ports=${3:-1}
bridge=nbench0

addr() { n=$(($1 + 2)); echo "172.20.$((n / 256)).$((n % 256))"; }

if [ "$action" = setup ]; then
  ip link add "$bridge" type bridge
  ip addr add 172.20.0.1/16 dev "$bridge"
  ip link set "$bridge" up
  sysctl -qw net.ipv4.ip_forward=1
  nft add table ip naive
  nft add chain ip naive prerouting '{ type nat hook prerouting priority dstnat; policy accept; }'
  nft add chain ip naive output '{ type nat hook output priority -100; policy accept; }'
  nft add chain ip naive postrouting '{ type nat hook postrouting priority srcnat; policy accept; }'
  nft add rule ip naive postrouting ip saddr 172.20.0.0/16 oifname != "$bridge" masquerade
  i=0
  while [ "$i" -lt "$count" ]; do
    a=$(addr "$i")
    ip netns add "ep$i"
    ip -n "ep$i" link set lo up
    ip link add "nv$i" type veth peer name eth0 netns "ep$i"
    ip link set "nv$i" master "$bridge" up
    ip -n "ep$i" link set eth0 up
    ip -n "ep$i" addr add "$a/16" dev eth0
    ip -n "ep$i" route add default via 172.20.0.1
    j=0
    while [ "$j" -lt "$ports" ]; do
      hp=$((20000 + i * ports + j)) cp=$((80 + j))
      nft add rule ip naive prerouting fib daddr type local tcp dport "$hp" dnat to "$a:$cp"
      nft add rule ip naive output fib daddr type local tcp dport "$hp" dnat to "$a:$cp"
      j=$((j + 1))
    done
    i=$((i + 1))
  done
elif [ "$action" = teardown ]; then
  nft delete table ip naive
  i=0
  while [ "$i" -lt "$count" ]; do
    ip link del "nv$i"
    ip netns del "ep$i"
    i=$((i + 1))
  done
  ip link del "$bridge"
else
  echo "usage: naive.sh setup|teardown COUNT PORTS" >&2
  exit 2
fi
