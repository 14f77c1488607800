"""A sandbox's network: egress through slirp4netns with no route to the host (network), the
stack itself (slirp), routes and addresses over netlink (netlink), sockets opened inside a
namespace (netns), and the one-port tunnel to an index on the host's loopback (tunnel)."""
