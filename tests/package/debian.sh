#!/bin/sh
# SPDX-License-Identifier: MIT
# The Debian packages, built and installed as an operator would:
#   dpkg-buildpackage -b on a copy of the tracked tree; lintian without
#   errors; the three packages installed on this machine; then sriovctl
#   version, sriovd --check-config on the shipped example, a program built
#   against the installed libsriov with pkg-config (shared and static),
#   systemd-analyze verify of the unit, and sriovd started as the unit
#   starts it, inside the unit's own sandbox (ProtectSystem=strict with
#   its ReadWritePaths, emulated with a private mount namespace): with no
#   /etc/sriov/sriovd.yaml, and with the shipped example. The packages are
#   purged at the end.
# usage: debian.sh SOURCE_DIR FIXTURE_HOST_DIR
set -eu
src=$1 host=$2
# A skip is loud, and in CI (CI set) a failure: CI installs what this needs.
skip() {
	echo "################################################################"
	echo "package.debian: CANNOT RUN: $*"
	echo "################################################################"
	[ -z "${CI:-}" ] || exit 1
	exit 77
}
[ "$(id -u)" = 0 ] || skip "needs root to install packages"
for t in dpkg-buildpackage lintian systemd-analyze unshare git; do
	command -v $t >/dev/null || skip "$t is missing (scripts/install-deps package)"
done
if dpkg-query -W -f='${Status}' sriov 2>/dev/null | grep -q ' installed'; then
	skip "a sriov package is already installed here; not replacing it"
fi
for d in /etc/sriov /var/lib/sriovd /run/sriovd; do
	[ ! -e "$d" ] || skip "$d exists here; not touching an operator's sriov"
done

tmp=$(mktemp -d)
pid=
cleanup() {
	set +e
	[ -z "$pid" ] || kill "$pid" 2>/dev/null
	dpkg --purge sriov libsriov-dev libsriov0 >/dev/null 2>&1 || true
	rm -rf "$tmp" /run/sriovd /var/lib/sriovd /var/lib/prometheus/node-exporter/sriovd.prom
	rm -f /etc/sriov/sriovd.yaml; rmdir /etc/sriov /var/lib/prometheus/node-exporter /var/lib/prometheus 2>/dev/null || true
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

step "dpkg-buildpackage -b"
mkdir "$tmp/sriov"
git -C "$src" ls-files -z | (cd "$src" && tar --null -T - -cf -) | tar -x -C "$tmp/sriov"
(cd "$tmp/sriov" && dpkg-buildpackage -b -uc -us) >"$tmp/build.log" 2>&1 ||
	{ tail -40 "$tmp/build.log"; fail "dpkg-buildpackage -b"; }
for p in sriov libsriov0 libsriov-dev; do
	ls "$tmp"/${p}_*.deb >/dev/null 2>&1 || fail "no $p package built"
done

step "lintian"
lintian --fail-on error "$tmp"/*.changes >"$tmp/lintian.log" 2>&1 ||
	{ cat "$tmp/lintian.log"; fail "lintian reports errors"; }
grep -E '^[EW]: ' "$tmp/lintian.log" || true

step "dpkg -i"
dpkg -i "$tmp"/sriov_*.deb "$tmp"/libsriov0_*.deb "$tmp"/libsriov-dev_*.deb >"$tmp/dpkg.log" 2>&1 ||
	{ cat "$tmp/dpkg.log"; fail "dpkg -i"; }
for f in /usr/bin/sriovctl /usr/sbin/sriovd /lib/systemd/system/sriovd.service \
	/usr/sbin/sriov-fabricd /lib/systemd/system/sriov-fabricd.service \
	/usr/share/man/man8/sriov-fabricd.8.gz \
	/usr/bin/ebrctl /usr/share/man/man8/ebrctl.8.gz \
	/usr/share/man/man8/sriovctl.8.gz /usr/share/man/man8/sriovd.8.gz \
	/usr/share/doc/sriov/examples/sriovd.yaml; do
	[ -e "$f" ] || fail "$f is not installed"
done
[ -e /etc/sriov/sriovd.yaml ] && fail "the package installed /etc/sriov/sriovd.yaml (it is the operator's)"

step "sriovctl version, sriovd --version, --check-config"
v=$(dpkg-query -W -f='${Version}' sriov)
/usr/bin/sriovctl version | grep -qx "sriovctl $v" || fail "sriovctl version: $(/usr/bin/sriovctl version)"
/usr/sbin/sriovd --version | grep -qx "sriovd $v" || fail "sriovd --version: $(/usr/sbin/sriovd --version 2>&1)"
/usr/sbin/sriovd --check-config -c /usr/share/doc/sriov/examples/sriovd.yaml ||
	fail "sriovd --check-config on the shipped example"

step "a program built against the installed libsriov"
"$src/tests/install/pkgconfig.sh" - "$host" "" || fail "pkg-config consumer"

step "systemd-analyze verify"
/usr/sbin/sriov-fabricd --version | grep -qx "sriov-fabricd $v" || fail "sriov-fabricd --version: $(/usr/sbin/sriov-fabricd --version 2>&1)"
for unit in /lib/systemd/system/sriov-fabricd.service /lib/systemd/system/sriovd.service; do
systemd-analyze verify "$unit" >"$tmp/verify.log" 2>&1 || { cat "$tmp/verify.log"; fail "systemd-analyze verify $unit"; }
grep -v 'Failed to .* bus\|not running\|systemd-analyze' "$tmp/verify.log" | grep -i 'sriov' && fail "systemd-analyze verify complains about $unit"
for d in $(sed -n 's/^Documentation=//p' "$unit"); do
	case $d in
	man:*) page=${d#man:}; n=${page%)}; n=${n##*(}; page=${page%(*}
		[ -e "/usr/share/man/man$n/$page.$n.gz" ] || fail "Documentation=$d: no such man page installed" ;;
	file://*) [ -e "${d#file://}" ] || fail "Documentation=$d is not installed" ;;
	*) fail "Documentation=$d: neither man: nor file:" ;;
	esac
done
done

# The unit's command lines and writable paths, read from the unit itself.
pre=$(sed -n 's/^ExecStartPre=//p' "$unit")
start=$(sed -n 's/^ExecStart=//p' "$unit")
rw=$(sed -n 's/^ReadWritePaths=//p' "$unit" | tr ' ' '\n' | sed 's/^-//')
state=/var/lib/$(sed -n 's/^StateDirectory=//p' "$unit")
runtime=/run/$(sed -n 's/^RuntimeDirectory=//p' "$unit")
grep -qx 'ProtectSystem=strict' "$unit" || fail "the unit is not ProtectSystem=strict (the emulation assumes it)"

# Run a command as the unit runs it: every mount read-only but /proc,
# /sys, /dev and what the unit lets it write.
sandboxed() (
	mkdir -p "$state" "$runtime"
	exec unshare -m --propagation private sh -c '
		rw=$1; echo $$ >"$2"; shift 2
		ro=$(findmnt -rn -o TARGET | grep -v "^/proc\|^/sys\|^/dev")
		for p in $rw; do
			[ -d "$p" ] && mount --bind "$p" "$p"
		done
		for m in $ro; do
			mount -o remount,bind,ro "$m" 2>/dev/null || true
		done
		exec "$@"' sandbox "$rw $state $runtime" "$tmp/pid" "$@"
)

# Start sriovd as the unit does, in the sandbox, logging to $1; wait for
# "ready" (or its end); $pid is its pid.
start_sriovd() {
	rm -f "$tmp/pid"
	# shellcheck disable=SC2086
	sandboxed $start >"$1" 2>&1 &
	for _ in $(seq 50); do
		grep -q 'ready' "$1" && break
		sleep 0.2
	done
	pid=$(cat "$tmp/pid" 2>/dev/null || true)
}

stop_sriovd() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	wait 2>/dev/null || true
	pid=
}

step "the unit on a fresh install: no /etc/sriov/sriovd.yaml"
sandboxed sh -c "$pre" >"$tmp/pre.log" 2>&1 || { cat "$tmp/pre.log"; fail "ExecStartPre fails without /etc/sriov/sriovd.yaml"; }
start_sriovd "$tmp/fresh.log"
grep -q 'ready' "$tmp/fresh.log" || { cat "$tmp/fresh.log"; fail "sriovd did not start without a configuration"; }
grep -q '/etc/sriov/sriovd.yaml' "$tmp/fresh.log" || { cat "$tmp/fresh.log"; fail "no message names the missing /etc/sriov/sriovd.yaml"; }
/usr/bin/sriovctl port --socket "$runtime/sriovd.sock" health >/dev/null || fail "health over the socket"
stop_sriovd

step "the unit with the shipped example as /etc/sriov/sriovd.yaml"
mkdir -p /etc/sriov /var/lib/prometheus/node-exporter
cp /usr/share/doc/sriov/examples/sriovd.yaml /etc/sriov/sriovd.yaml
sandboxed sh -c "$pre" >"$tmp/pre2.log" 2>&1 || { cat "$tmp/pre2.log"; fail "ExecStartPre on the example"; }
start_sriovd "$tmp/example.log"
grep -q 'ready' "$tmp/example.log" || { cat "$tmp/example.log" >&2; fail "sriovd did not start on the example"; }
[ -s /var/lib/prometheus/node-exporter/sriovd.prom ] || { cat "$tmp/example.log"; fail "the sandbox kept sriovd from writing its metrics file"; }
grep -q 'cannot write metrics' "$tmp/example.log" && fail "sriovd logged a failed metrics write"
/usr/bin/sriovctl -j port --socket /run/sriovd/sriovd.sock health >/dev/null || fail "health on the example"
stop_sriovd
rm -f /etc/sriov/sriovd.yaml

step "a metrics file the sandbox forbids is logged"
mkdir -p /etc/sriov
sed 's|^metrics_file:.*|metrics_file: /var/tmp/sriovd.prom|' /usr/share/doc/sriov/examples/sriovd.yaml >/etc/sriov/sriovd.yaml
start_sriovd "$tmp/ro.log"
grep -q 'cannot write metrics.*/var/tmp/sriovd.prom' "$tmp/ro.log" ||
	{ cat "$tmp/ro.log"; fail "a refused metrics write is not logged"; }
stop_sriovd
rm -f /etc/sriov/sriovd.yaml /var/tmp/sriovd.prom

echo "ok: packages built, lintian clean, installed, sriovctl/sriovd/libsriov work, the unit runs in its sandbox"
