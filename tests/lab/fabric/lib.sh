# SPDX-License-Identifier: MIT
# Shell helpers for fabric-lab scripts (sourced; needs the environment set
# by tests/lab/fabric/run). MAD tools run in FABRIC_DIR because umad2sim
# creates ./sys-<pid> in the working directory of every client.

# fabric_ports: print "TYPE LID PORT GUID NAME" for every port that has a
# LID: each CA port, and port 0 of each switch. Uses ibnetdiscover (direct
# routed SMPs), so it works after `opensm-once` has exited, when there is no
# SA to ask.
fabric_ports() {
	(cd "$FABRIC_DIR" && ibnetdiscover -p) | awk '
	$1 == "CA" {
		name = $0; sub(/^[^(]*\( *'\''/, "", name); sub(/'\''.*/, "", name)
		printf "CA %d %d %s %s\n", $2, $3, $4, name
	}
	$1 == "SW" && !seen[$4]++ {
		name = $0; sub(/^[^'\'']*'\''/, "", name); sub(/'\''.*/, "", name)
		printf "SW %d 0 %s %s\n", $2, $4, name
	}' | sort -k2,2n
}

# fabric_lid GUID: the LID of the port with this GUID (any 0x form).
fabric_lid() {
	local want
	want=$(printf '0x%016x' "$1")
	fabric_ports | awk -v g="$want" '$4 == g { print $2; exit }'
}

# fabric_pkeys_raw LID PORT: the whole P-key table, one entry a line, in
# table order (index 0 first), including empty 0x0000 entries.
fabric_pkeys_raw() {
	(cd "$FABRIC_DIR" && smpquery pkeys "$1" "$2") | awk '
	/^ *[0-9]+:/ { for (i = 2; i <= NF; i++) print $i }'
}

# fabric_pkeys LID PORT: the table normalised: non-empty entries, sorted,
# space separated ("0x7003 0xffff").
fabric_pkeys() {
	fabric_pkeys_raw "$1" "$2" | grep -v '^0x0000$' | sort | tr '\n' ' ' | sed 's/ $//'
}
