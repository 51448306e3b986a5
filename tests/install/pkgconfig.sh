#!/bin/sh
# SPDX-License-Identifier: MIT
# Install the build into a scratch prefix and build a program of someone
# else's against it with pkg-config alone, shared and static; run both.
# usage: pkgconfig.sh BUILD_DIR FIXTURE_HOST_DIR "EXTRA_CFLAGS"
# BUILD_DIR "-": the libsriov installed on this system (the Debian
# packages, tests/package/debian.sh).
set -eu
build=$1 host=$2 extra=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc=${CC:-cc}

if [ "$build" = - ]; then
	pc="pkg-config"
	libdir=$($pc --variable=libdir libsriov)
else
	cmake --install "$build" --prefix "$tmp/usr" >/dev/null
	libdir=$(dirname "$(find "$tmp/usr" -name libsriov.pc | head -1)")/..
	libdir=$(cd "$libdir" && pwd)
	export PKG_CONFIG_PATH="$libdir/pkgconfig"
	pc="pkg-config --define-variable=prefix=$tmp/usr"
fi

fail() { echo "FAIL: $*"; exit 1; }
for f in "$libdir/libsriov.so.0" "$libdir/libsriov.a"; do
	[ -e "$f" ] || fail "$f is not installed"
done
# only the public API leaves the library
leak=$(nm -D --defined-only "$libdir/libsriov.so.0" | awk '$2 != "A" && $3 !~ /^sriov_/ {print $3}')
[ -z "$leak" ] || fail "libsriov.so exports: $leak"
leak=$(nm -g --defined-only "$libdir/libsriov.a" | awk 'NF == 3 && $3 !~ /^sriov_/ {print $3}')
[ -z "$leak" ] || fail "libsriov.a exports: $leak"

# shared: -lsriov from pkg-config, found at run time through the path
# shellcheck disable=SC2046,SC2086
$cc $extra -o "$tmp/consumer-shared" "$here/consumer.c" $($pc --cflags --libs libsriov) ||
	fail "the shared build against pkg-config --libs failed"
LD_LIBRARY_PATH="$libdir" "$tmp/consumer-shared" "$host/sys" "$host/proc" >"$tmp/out-shared" ||
	fail "the shared consumer failed: $(cat "$tmp/out-shared")"
LD_LIBRARY_PATH="$libdir" ldd "$tmp/consumer-shared" | grep -q "libsriov.so.0 => $libdir" ||
	fail "the shared consumer does not load the installed libsriov.so.0"

# static: libsriov.a and what pkg-config --static says it needs
libs=$($pc --static --libs libsriov | sed 's/-lsriov//')
# shellcheck disable=SC2046,SC2086
$cc $extra -o "$tmp/consumer-static" "$here/consumer.c" $($pc --cflags libsriov) "$libdir/libsriov.a" $libs ||
	fail "the static build against pkg-config --static --libs failed"
"$tmp/consumer-static" "$host/sys" "$host/proc" >"$tmp/out-static" ||
	fail "the static consumer failed: $(cat "$tmp/out-static")"
ldd "$tmp/consumer-static" | grep -q libsriov && fail "the static consumer loads libsriov.so"

cmp -s "$tmp/out-shared" "$tmp/out-static" || fail "shared and static answers differ"
grep -q '^pfs [1-9]' "$tmp/out-shared" || fail "no PF discovered: $(cat "$tmp/out-shared")"
grep -q '^errors 0$' "$tmp/out-shared" || fail "partitions: $(cat "$tmp/out-shared")"
echo "ok: shared and static consumers built with pkg-config and run: $(tr '\n' ' ' <"$tmp/out-shared")"
