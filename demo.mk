# SPDX-License-Identifier: GPL-2.0-only
# The gateway demo and its benchmarks (docs/gateway.md, "The demo"):
# tools/demo boots gateway A (Donjon's gateway ISO, or the Linux XFRM
# stand-in when that ISO cannot be built) and the Linux XFRM peer B with a
# LAN host on each side, sends ping and iperf3 through the tunnel and ends
# with the pcap proof. Both need root (network namespaces, tap devices).
# Included by the top Makefile.
.PHONY: demo demo-linux bench-gateway

demo: deps
	tools/demo

# The same topology with Debian's Linux XFRM as gateway A (the benchmarks' reference).
demo-linux: deps
	tools/demo --linux-gateway

# gateway_tcp, gateway_ping (part of make bench): Donjon vs Linux as gateway A.
bench-gateway: $(GUEST_IMAGES)
	-$(MAKE) iso-gateway
	tools/bench-gateway
