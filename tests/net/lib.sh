# SPDX-License-Identifier: GPL-2.0-only
# Shared by tests/net/run and tests/net/bench (sourced, not run): the NIC
# ISO in QEMU with one virtio-net and one e1000e NIC, each on a tap device
# in a network namespace of its own, so the Linux peer of each NIC is that
# namespace and nothing touches the host's own network.
#
# QEMU runs in a third namespace, where it creates both tap devices when
# it starts; they are then moved to their NIC's namespace (an open tap
# keeps working across the move). Everything is named after this shell's
# pid and removed by net_cleanup.

# The two NICs: short name, QEMU device, guest MAC and IPv4 address (as
# servers/init/net.conf gives them to netself), the peer's address.
# The QEMU devices can be overridden: NET_VIRTIO_DEVICE (default the
# modern-only virtio-net-pci,disable-legacy=on, 1af4:1041; plain
# virtio-net-pci is the transitional 1af4:1000, which net.conf's pci=
# names as its second alternative) and NET_E1000E_DEVICE (e1000e).
NET_NICS=(virtio e1000e)
declare -A NET_DEVICE=([virtio]="${NET_VIRTIO_DEVICE:-virtio-net-pci,disable-legacy=on}"
    [e1000e]="${NET_E1000E_DEVICE:-e1000e}")
declare -A NET_GUEST_MAC=([virtio]=52:54:00:d0:01:02 [e1000e]=52:54:00:d0:02:02)
declare -A NET_GUEST_IP=([virtio]=10.0.1.2 [e1000e]=10.0.2.2)
declare -A NET_PEER_IP=([virtio]=10.0.1.1 [e1000e]=10.0.2.1)
NET_PREFIX_LEN=24

# net_pci_id NIC: the vendor:device id NIC's QEMU device shows, the one
# the driver's pci= must find (empty for a device string not known here).
# virtio-net-pci is transitional (1af4:1000) unless legacy is disabled.
net_pci_id() {
    case $1:${NET_DEVICE[$1]} in
        e1000e:e1000e | e1000e:e1000e,*) echo 8086:10d3 ;;
        virtio:*disable-legacy=on* | virtio:virtio-net-pci-non-transitional*) echo 1af4:1041 ;;
        virtio:virtio-net-pci | virtio:virtio-net-pci,*) echo 1af4:1000 ;;
    esac
}

net_id=dj$$
net_qemu_ns=${net_id}q
declare -A NET_NS=([virtio]=${net_id}v [e1000e]=${net_id}e)
declare -A NET_TAP=([virtio]=${net_id}tv [e1000e]=${net_id}te)
net_qemu_pid=

# Why this machine cannot run the NIC tests, or nothing when it can.
net_unusable() {
    [ "$(id -u)" -eq 0 ] || { echo "not root (network namespaces and tap devices need root)"; return; }
    local tool
    for tool in ip ping python3 qemu-system-x86_64 timeout; do
        command -v "$tool" >/dev/null || { echo "$tool missing (run tools/deps)"; return; }
    done
    [ -c /dev/net/tun ] || { echo "/dev/net/tun missing (no tap devices here)"; return; }
    local probe=${net_id}p err
    if ! err=$(ip netns add "$probe" 2>&1); then
        echo "cannot create a network namespace: $err"
        return
    fi
    if ! err=$(ip -n "$probe" tuntap add dev "${net_id}pt" mode tap 2>&1); then
        ip netns del "$probe" 2>/dev/null
        echo "cannot create a tap device: $err"
        return
    fi
    ip netns del "$probe" 2>/dev/null
}

# Runs a command in namespace NS: net_in NS COMMAND...
net_in() {
    local ns=$1
    shift
    ip netns exec "$ns" "$@"
}

net_setup_namespaces() {
    local ns
    for ns in "$net_qemu_ns" "${NET_NS[@]}"; do
        ip netns add "$ns" || return 1
        # No IPv6: its router solicitations and multicast reports would be
        # frames nobody asked for in the counters.
        net_in "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || return 1
        ip -n "$ns" link set lo up || return 1
    done
}

# net_start_qemu ISO SERIAL_LOG TIMEOUT [EXTRA_QEMU_ARGS...]: starts QEMU
# in the background (its pid in net_qemu_pid) with both NICs.
net_start_qemu() {
    local iso=$1 log=$2 limit=$3
    shift 3
    local args=(-machine "${NET_MACHINE:-q35}" -accel tcg -cpu "${NET_CPU:-max}" -smp "${NET_SMP:-1}"
        -m "${NET_MEM:-256M}" -cdrom "$iso" -boot d -serial "file:$log" -monitor none -display none -no-reboot)
    [ "${NET_FIRMWARE:-seabios}" = ovmf ] && args+=(-bios /usr/share/ovmf/OVMF.fd)
    # NET_IOMMU=1: VT-d (before the NICs, which it then translates).
    [ "${NET_IOMMU:-0}" = 1 ] && args+=(-device intel-iommu,intremap=on)
    local nic
    for nic in "${NET_NICS[@]}"; do
        args+=(-netdev "tap,id=n$nic,ifname=${NET_TAP[$nic]},script=no,downscript=no"
            -device "${NET_DEVICE[$nic]},netdev=n$nic,mac=${NET_GUEST_MAC[$nic]}")
    done
    : >"$log"
    echo "ip netns exec $net_qemu_ns qemu-system-x86_64 ${args[*]} $*" >"$log.cmd"
    timeout -k 5 "$limit" ip netns exec "$net_qemu_ns" qemu-system-x86_64 "${args[@]}" "$@" \
        </dev/null >"$log.qemu.out" 2>&1 &
    net_qemu_pid=$!
}

# Moves each tap QEMU created into its NIC's namespace and gives the peer
# its address. Fails (with a reason on stdout) if the taps do not appear.
net_attach_taps() {
    local nic tap ns waited=0
    for nic in "${NET_NICS[@]}"; do
        tap=${NET_TAP[$nic]} ns=${NET_NS[$nic]}
        while ! ip -n "$net_qemu_ns" link show "$tap" >/dev/null 2>&1; do
            if ! kill -0 "$net_qemu_pid" 2>/dev/null; then
                echo "QEMU exited before creating $tap"
                return 1
            fi
            [ "$waited" -ge 300 ] && { echo "QEMU did not create $tap within 30 s"; return 1; }
            sleep 0.1
            waited=$((waited + 1))
        done
        ip -n "$net_qemu_ns" link set "$tap" netns "$ns" &&
            ip -n "$ns" addr add "${NET_PEER_IP[$nic]}/$NET_PREFIX_LEN" dev "$tap" &&
            ip -n "$ns" link set "$tap" up || { echo "cannot set up $tap in $ns"; return 1; }
    done
}

# Serial logs carry CRs and terminal escapes.
net_clean_log() {
    sed -e 's/\x1b\[[0-9;?=>]*[A-Za-z]//g' -e 's/\r//g' "$1" 2>/dev/null
}

# The line netself prints when it serves NIC, as an extended regular
# expression (the driver's name comes from the configuration).
net_ready_pattern() {
    echo "netself: ready on [a-z][a-z0-9_-]* ip ${NET_GUEST_IP[$1]//./\\.} mac ${NET_GUEST_MAC[$1]} "
}

# net_ready_count LOG NIC: how many times netself said it is ready on NIC.
net_ready_count() {
    net_clean_log "$1" | grep -acE "$(net_ready_pattern "$2")"
}

# net_driver_name LOG NIC: the driver's name from netself's ready line.
net_driver_name() {
    net_clean_log "$1" | grep -aoE "$(net_ready_pattern "$2")" | awk 'NR == 1 { print $4 }'
}

# net_log_has LOG REGEX: whether LOG has a line matching REGEX. (Not
# grep -q in a pipeline: its early exit fails the pipeline under pipefail.)
net_log_has() {
    [ "$(net_clean_log "$1" | grep -acE -- "$2")" -gt 0 ]
}

# net_wait_for LOG SECONDS PATTERN...: waits until every PATTERN (an
# extended regular expression) is in LOG, QEMU exits, the log shows a
# panic, or time runs out. Prints what was missing on failure.
net_wait_for() {
    local log=$1 limit=$2 t0=$SECONDS missing p
    shift 2
    while :; do
        missing=
        for p in "$@"; do
            net_log_has "$log" "$p" || { missing=$p; break; }
        done
        [ -z "$missing" ] && return 0
        if net_log_has "$log" PANIC; then
            echo "kernel panic: $(net_clean_log "$log" | grep -a PANIC | awk 'NR == 1')"
            return 1
        fi
        if ! kill -0 "$net_qemu_pid" 2>/dev/null; then
            echo "QEMU exited before '$missing' appeared"
            return 1
        fi
        if [ $((SECONDS - t0)) -ge "$limit" ]; then
            echo "no '$missing' within ${limit} s (last line: '$(net_clean_log "$log" | grep -a . | tail -n 1 | cut -c1-100)')"
            return 1
        fi
        sleep 0.5
    done
}

# net_stats NIC: netself's and the driver's counters with the tap's, as
# one line of key=value words (tests/net/peer.py stats).
net_stats() {
    net_in "${NET_NS[$1]}" timeout 30 python3 tests/net/peer.py stats "${NET_GUEST_IP[$1]}" "${NET_TAP[$1]}"
}

# net_value LINE KEY: the value of KEY in a key=value line (empty if none).
net_value() {
    local w
    for w in $1; do
        [ "${w%%=*}" = "$2" ] && { echo "${w#*=}"; return; }
    done
}

# net_delta BEFORE AFTER KEY
net_delta() {
    local a b
    a=$(net_value "$1" "$3") b=$(net_value "$2" "$3")
    echo $(( ${b:-0} - ${a:-0} ))
}

net_stop_qemu() {
    if [ -n "$net_qemu_pid" ]; then
        kill "$net_qemu_pid" 2>/dev/null
        wait "$net_qemu_pid" 2>/dev/null
        net_qemu_pid=
    fi
}

net_cleanup() {
    net_stop_qemu
    local ns
    for ns in "$net_qemu_ns" "${NET_NS[@]}"; do
        ip netns del "$ns" 2>/dev/null
    done
    return 0
}
