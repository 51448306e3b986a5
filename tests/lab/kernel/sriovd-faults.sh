#!/bin/bash
# SPDX-License-Identifier: MIT
# sriovd crash safety in the kernel lab: kill -9 at random points inside
# Ethernet and InfiniBand binds and unbinds until KILLS of them (default 50)
# have landed inside one; after each restart no VF is leaked, double-owned
# or left with a tenant's settings, nothing is pending in the journal, and
# the operation was rolled back (bind) or finished (unbind).
#
# A kill is aimed, not blind: sriovd logs "bind port X: journal N started
# on pf P vf V" (and the same for unbind) once the journal entry exists. The
# script reads sriovd's stderr, starts one operation, and on that line waits
# a random point of the operation's duration, then kills. Whether it landed
# inside is what the next start says: "recovery: bind of port X (journal N)
# did not finish". The script drives the operations itself, one at a time,
# so that it knows which one it kills and can share the kills out evenly
# between the four kinds (bind and unbind, Ethernet and InfiniBand).
#
# Knobs: KILLS (landed kills to reach), MAX_KILLS (give up after that many
# kills), STEP_MS (SRIOVD_TEST_STEP_DELAY_MS: each step of an operation
# that much longer, so the states between steps get their share).
. /lab/lib.sh || exit 1
KILLS=${KILLS:-50}
MAX_KILLS=${MAX_KILLS:-$((KILLS * 3 / 2))}
STEP_MS=${STEP_MS:-20}
NVF_ETH=4 NVF_IB=2 NPORTS=6

echo $NVF_ETH >/sys/class/net/eth0/device/sriov_numvfs
echo $NVF_IB >/sys/class/net/ib0/device/sriov_numvfs
mkdir -p /etc/sriov
cat >/etc/sriov/sriovd.yaml <<EOF
physnets:
  physnet1: [eth0]
  ibnet: [ib0]
state_dir: /tmp/sriovd
socket: $S
check_interval: 0
EOF

# sriovd's stderr comes to us through a FIFO (fd 3, opened read-write so it
# never reports end of file between two sriovds); every line is copied to
# /tmp/sriovd.log (fd 4). fd 5 is a FIFO nobody writes: `read -t` on it is a
# sleep without a process (the guest is emulated: every process counts).
mkfifo /tmp/sriovd.fifo /tmp/nap.fifo
exec 3<>/tmp/sriovd.fifo 4>>/tmp/sriovd.log 5<>/tmp/nap.fifo
nap() { # nap MS
	local s
	printf -v s '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
	read -r -t "$s" -u 5 _
}
part=""
next_line() { # next_line TIMEOUT: the next line of sriovd's stderr in $line
	local l
	if IFS= read -r -t "$1" -u 3 l; then
		line=$part$l
		part=""
		printf '%s\n' "$line" >&4
		return 0
	fi
	part+=$l # a timeout keeps what it read of an unfinished line
	return 1
}
re_start='^sriovd: info: (bind|unbind) port ([^ ]+): journal ([0-9]+) started on pf ([^ ]+) vf ([0-9]+)$'
re_rec='recovery: (bind|unbind) of port ([^ ]+) \(journal ([0-9]+)\) did not finish'

# Start sriovd and wait for its "ready" line: it comes once recovery is done
# and the socket listens. The journal entries recovered on the way are left
# in $recovered.
start() {
	SRIOVD_TEST_STEP_DELAY_MS=$STEP_MS sriovd 2>/tmp/sriovd.fifo 3>&- 4>&- 5>&- &
	PID=$!
	recovered=""
	while next_line 60; do
		if [[ $line =~ $re_rec ]]; then
			recovered+="${recovered:+ }${BASH_REMATCH[3]}"
		elif [[ $line == *"ready: $S,"* ]]; then
			return 0
		fi
	done
	echo "sriovd did not come up"
	return 1
}

# Take in the lines sriovd has written so far.
drain() {
	while read -r -t 0 -u 3; do next_line 10 || break; done
}

# Wait for OP of PORT to begin (the lines of earlier ones are skipped): sets
# op, port, seq, opf, ovf.
next_op() { # next_op OP PORT
	while next_line 60; do
		[[ $line =~ $re_start ]] || continue
		[ "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}" = "$1 $2" ] || continue
		op=${BASH_REMATCH[1]} port=${BASH_REMATCH[2]}
		seq=${BASH_REMATCH[3]} opf=${BASH_REMATCH[4]}
		ovf=${BASH_REMATCH[5]}
		return 0
	done
	return 1
}

# sriovctl's arguments for OP (bind or unbind) of PORT (pN on Ethernet,
# ibN on InfiniBand), in $args.
req() {
	local n=${2##*[a-z]}
	case $1:$2 in
	unbind:*) args=(unbind "$2") ;;
	bind:ib*) args=(bind "$2" network ibnet pkey 0x80$((10 + n))) ;;
	bind:p*)
		args=(bind "$2" network physnet1 vlan $((100 + n)) mac 02:00:00:00:00:1$n trust on)
		[ $((n % 2)) = 1 ] && args+=(spoofchk off)
		;;
	esac
}
run_op() { # run_op OP PORT: an operation that is not killed
	req "$@"
	P "${args[@]}" >/dev/null || fail "$1 $2"
}

# The invariants, against the database and the kernel: one read of each,
# one jq program. Leaves the ids of the ports in $bound.
verify() { # verify ROUND
	local links ports health out problems
	links=$(ip -j link show)
	health=$(PJ health) || { echo "  round $1: health failed"; return 1; }
	ports=$(PJ list)
	out=$(jq -rn --argjson links "$links" --argjson ports "$ports" --argjson h "$health" \
		--argjson nvf $((NVF_ETH + NVF_IB)) '
		def k(pf; i): $links[] | select(.ifname == pf) | .vfinfo_list[i];
		def free(pf): [$ports[] | select(.pf == pf) | .vf] as $b |
			$links[] | select(.ifname == pf) | .vfinfo_list[] | select(.vf | IN($b[]) | not);
		def eth: {vlan: (.vlan_list[0].vlan // 0), mac: .address, trust,
			  spoofchk, link: .link_state};
		def ib: {node: ."node guid", port: ."port guid", link: .link_state};
		def ff: "ff:ff:ff:ff:ff:ff:ff:ff";
		def colon: ltrimstr("0x") | [scan("..")] | join(":");
		([$ports[].id] | join(" ")),
		(if $h.pending_operations != 0 then "journal entries left pending" else empty end),
		($ports[] | select(.status != "bound") | "half-bound port \(.id) (\(.status))"),
		([$ports[] | "\(.pf) \(.vf)"] | group_by(.)[] | select(length > 1) | "VF owned twice: \(.[0])"),
		(if $h.vfs.bound != ($ports | length) then "\($h.vfs.bound) bound VFs, \($ports | length) ports"
		 else empty end),
		(if $h.vfs.quarantined != 0 then "\($h.vfs.quarantined) VFs quarantined" else empty end),
		(if $h.vfs.free + $h.vfs.bound != $nvf then "VFs: \($h.vfs), \($nvf) in the kernel"
		 else empty end),
		(free("eth0") | .vf as $v | eth |
		 select(. != {vlan: 0, mac: "00:00:00:00:00:00", trust: false, spoofchk: true,
			      link: "disable"}) |
		 "free eth0 vf \($v) keeps \(.)"),
		(free("ib0") | .vf as $v | ib |
		 select(. != {node: ff, port: ff, link: "disable"}) |
		 "free ib0 vf \($v) keeps \(.)"),
		($ports[] | . as $p | $p.settings as $s | k($p.pf; $p.vf) |
		 if $p.pf == "eth0" then
			[eth, {vlan: ($s.network.vlan // 0), mac: ($s.mac // .address),
			       trust: $s.trusted, spoofchk: $s.spoofchk, link: "enable"}]
		 else [ib, {node: ($s.guid | colon), port: ($s.guid | colon),
			    link: "enable"}] end |
		 select(.[0] != .[1]) |
		 "bound \($p.pf) vf \($p.vf) has \(.[0]), port \($p.id) wants \(.[1])")') ||
		{ echo "  round $1: jq failed"; return 1; }
	bound=${out%%$'\n'*}
	problems=${out#"$bound"}
	problems=${problems#$'\n'}
	[ -z "$problems" ] && return 0
	echo "$problems" | sed "s/^/  round $1: /"
	[[ $problems == *quarantined* ]] && PJ vfs | jq -r '.[] | select(.state == "quarantined") |
		"  round '"$1"': \(.pf) vf \(.vf) quarantined: \(.reason)"'
	return 1
}

# The ports of a kind (p or ib) that are bound, and those that are not.
ports_of() {
	local id
	on=() off=()
	for ((i = 0; i < NPORTS; i++)); do
		id=$1$i
		if [[ " $bound " == *" $id "* ]]; then on+=("$id"); else off+=("$id"); fi
	done
}

start || exit 1
# A few operations of each kind, and how long they last here: the kill
# window of each kind starts at the mean of sriovd's own latency histogram.
# That also times the part before the journal entry, so a kill that comes
# after the operation's end shrinks the window to the time it came at.
for o in "bind p0" "bind ib0" "unbind ib0" "bind p1" "unbind p0" "bind ib1" "bind p2"; do
	run_op $o
done
declare -A h=() window=()
while IFS= read -r l; do
	[[ $l =~ ^sriovd_operation_seconds_(sum|count)\{op=\"(bind|unbind)\"\}\ ([0-9.e+-]+)$ ]] &&
		h[${BASH_REMATCH[1]}_${BASH_REMATCH[2]}]=${BASH_REMATCH[3]}
done <<<"$(P metrics)"
kinds=("bind ethernet" "unbind ethernet" "bind infiniband" "unbind infiniband")
for kind in "${kinds[@]}"; do
	o=${kind% *}
	if [ "${h[count_$o]:-0}" -gt 0 ]; then
		printf -v ms '%.0f' "${h[sum_$o]}e3"
		window[$kind]=$((ms / ${h[count_$o]}))
	else
		fail "no $o in sriovd's latency histogram"
		window[$kind]=$((3 * STEP_MS + 50))
	fi
done
echo "operations here: bind ${window[bind ethernet]} ms, unbind ${window[unbind ethernet]} ms (step $STEP_MS ms)"
verify warm-up || fail "warm-up: consistent"

# The checks can fail: with p1, p2 and ib1 bound, give every VF a MAC or
# GUID of nobody's: each of the six must be reported, and be put right by
# the check of the next start. (The lab's PFs are down, and the kernel
# notifies VF changes only on a PF that is up, so sriovd's drift trigger
# does not fire before verify reads the kernel.)
{
	for ((v = 0; v < NVF_ETH; v++)); do echo "link set eth0 vf $v mac 02:ee:00:00:00:0$v"; done
	for ((v = 0; v < NVF_IB; v++)); do echo "link set ib0 vf $v node_guid 02:ee:00:00:00:00:00:0$v"; done
} | ip -batch - || fail "self-check: tampering with the VFs"
out=$(verify self-check)
n=$(grep -c . <<<"$out")
if [ "$n" = $((NVF_ETH + NVF_IB)) ] && [[ $out == *"free eth0"* && $out == *"bound eth0"* &&
	$out == *"free ib0"* && $out == *"bound ib0"* ]]; then
	pass "self-check: verify reports every VF with settings of nobody's"
else
	fail "self-check: verify reports every VF with settings of nobody's; it said:"
	echo "$out"
fi
kill -9 $PID
wait $PID 2>/dev/null
start || exit 1
verify "self-check restart" && pass "self-check: sriovd put every VF right at its start" ||
	fail "self-check: sriovd put every VF right at its start"

# Each round aims at the kind with the fewest landed kills, starts one
# operation of it (after another one, not killed, when no VF or no bound
# port is there to take), and kills it at a random point of its window:
# attempt k of a kind aims at fifth k mod 5 of the window, so the state
# before the save, between configure steps, after configure before done,
# and during restore and scrub all get their share.
kills=0 landed=0
declare -A n_land=() n_try=() n_fifth=()
while [ $landed -lt "$KILLS" ] && [ $kills -lt "$MAX_KILLS" ]; do
	kind=${kinds[0]}
	for k in "${kinds[@]}"; do
		[ "${n_land[$k]:-0}" -lt "${n_land[$kind]:-0}" ] && kind=$k
	done
	o=${kind% *}
	case $kind in
	*ethernet) pfx=p nvf=$NVF_ETH ;;
	*) pfx=ib nvf=$NVF_IB ;;
	esac
	ports_of $pfx
	if [ $o = bind ] && [ ${#on[@]} -ge $nvf ]; then
		id=${on[RANDOM % ${#on[@]}]}
		run_op unbind $id
		off+=("$id")
	elif [ $o = unbind ] && [ ${#on[@]} = 0 ]; then
		id=${off[RANDOM % ${#off[@]}]}
		run_op bind $id
		on=("$id")
	fi
	if [ $o = bind ]; then
		id=${off[RANDOM % ${#off[@]}]}
	else
		id=${on[RANDOM % ${#on[@]}]}
	fi
	req $o $id
	drain
	P "${args[@]}" >/dev/null 2>&1 &
	OPID=$!
	next_op $o $id || { fail "$o $id did not begin within 60 s"; break; }
	fifth=$((${n_try[$kind]:-0} % 5))
	n_try[$kind]=$((${n_try[$kind]:-0} + 1))
	at=$((${window[$kind]} * (fifth * 1000 + RANDOM % 1000) / 5000))
	t0=${EPOCHREALTIME/./}
	nap $at
	kill -9 $PID
	t1=${EPOCHREALTIME/./}
	wait $PID 2>/dev/null
	wait $OPID
	kills=$((kills + 1))
	t=$(((t1 - t0) / 1000))
	start || { fail "round $kills: restart"; break; }
	what="$op of $port (pf $opf vf $ovf, journal $seq) killed $t ms after it began"
	if [ "$recovered" = "$seq" ]; then
		what+=", inside it"
		landed=$((landed + 1))
		n_land[$kind]=$((${n_land[$kind]:-0} + 1))
		n_fifth[$kind $fifth]=$((${n_fifth[$kind $fifth]:-0} + 1))
	elif [ -z "$recovered" ]; then
		what+=", after its end"
		# the window was too long for this one
		[ $t -lt ${window[$kind]} ] && [ $t -ge $((3 * STEP_MS)) ] && window[$kind]=$t
	else
		fail "round $kills: recovery found journal entries $recovered, only $seq was running"
	fi
	if verify $kills; then
		pass "round $kills: consistent after kill -9 ($what)"
	else
		fail "round $kills: consistent after kill -9 ($what)"
	fi
	# a bind that did not finish is rolled back, an unbind is finished
	want=unbound is=unbound
	[ $o = bind ] && [ -z "$recovered" ] && want=bound
	[[ " $bound " == *" $id "* ]] && is=bound
	[ $is = $want ] || fail "round $kills: port $id is $is after its $o, should be $want"
done
echo "faults: $kills kills, $landed inside an operation; windows now:" \
	"$(for k in "${kinds[@]}"; do printf '%s %s ms, ' "$k" "${window[$k]}"; done)"
for kind in "${kinds[@]}"; do
	echo "faults: $kind: ${n_land[$kind]:-0} of ${n_try[$kind]:-0} kills inside," \
		"by fifth of the window: ${n_fifth[$kind 0]:-0} ${n_fifth[$kind 1]:-0}" \
		"${n_fifth[$kind 2]:-0} ${n_fifth[$kind 3]:-0} ${n_fifth[$kind 4]:-0}"
	[ "${n_land[$kind]:-0}" -ge $((KILLS / 4)) ] ||
		fail "faults: only ${n_land[$kind]:-0} kills landed inside a $kind"
done
if [ $landed -ge "$KILLS" ]; then
	pass "faults: $landed kills landed inside an operation (wanted $KILLS)"
else
	fail "faults: only $landed of $kills kills landed inside an operation (wanted $KILLS)"
fi
# the end: everything unbinds cleanly
for id in $bound; do P unbind $id >/dev/null || fail "final unbind $id"; done
verify final && pass "final: all unbound and clean" || fail "final: all unbound and clean"
[ -z "$bound" ] || fail "final: ports left: $bound"
# the rest of sriovd's stderr, up to its exit, into the log: cat reads
# from a read-only descriptor, so it sees the end once sriovd and fd 3 are
# gone
printf '%s' "$part" >&4
exec 6</tmp/sriovd.fifo
cat <&6 >&4 3>&- 5>&- &
CAT=$!
exec 6<&-
kill $PID
wait $PID
exec 3<&-
wait $CAT
if grep -q Sanitizer /tmp/sriovd.log; then
	fail "no sanitizer reports"
fi
[ $fails -ne 0 ] && tail -50 /tmp/sriovd.log
finish sriovd-faults "($SECONDS s)"
