# Sourced by the shell tests (tests/*.sh). Every net-snmp program they run gets
# this test's own home, persistent directory and empty configuration path, and
# no default MIB list (each command names its MIBs with -m): neither ~/.snmp,
# /var/lib/snmp nor /etc/snmp/snmp.conf changes what it prints, so the first run
# on a new machine and the hundredth on an old one see the same. net-snmp's
# notices ("Created directory: ...") go to stderr, which is never read as the
# answer. $tmp is the test's temporary directory, removed at exit.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/persist" "$tmp/snmpconf"
HOME=$tmp
SNMP_PERSISTENT_DIR=$tmp/persist
SNMPCONFPATH=$tmp/snmpconf
MIBS=
export HOME SNMP_PERSISTENT_DIR SNMPCONFPATH MIBS

# snmp_complaints FILE: what a net-snmp program wrote on stderr (FILE), less its
# notice about making the persistent directory, which the first program run in
# a new one always prints ("Created directory: $SNMP_PERSISTENT_DIR/...").
snmp_complaints() {
	grep -v "^Created directory: $SNMP_PERSISTENT_DIR" "$1" || true
}
