# SPDX-License-Identifier: GPL-2.0
# The shell side of the guest scripts' one reporter (see ktap.py): a KTAP
# stream on stdout. Source it, then:
#   ktap_start                       "KTAP version 1"
#   ktap_check "what" CMD ARGS...    ok/not ok by CMD's exit status
#   ktap_result 0|1 "what"           ok when 0, as a shell status
#   ktap_finish                      the plan "1..N"; exits 1 if any failed
ktap_count=0
ktap_failed=0

ktap_start() {
	echo "KTAP version 1"
}

ktap_result() {
	ktap_count=$((ktap_count + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $ktap_count $2"
	else
		ktap_failed=$((ktap_failed + 1))
		echo "not ok $ktap_count $2"
	fi
}

ktap_check() {
	ktap_what=$1
	shift
	if "$@"; then ktap_result 0 "$ktap_what"; else ktap_result 1 "$ktap_what"; fi
}

ktap_finish() {
	echo "1..$ktap_count"
	[ "$ktap_failed" -eq 0 ]
	exit $?
}
