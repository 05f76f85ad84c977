# Writes contrib/nagios/check_pmta_snmp from its .in (stdin): the lines
# @PMTA_MIB_OIDS@ and @PMTA_MIB_ENUMS@ become Python dict entries made from
# what tests/mib_oids_dump prints of agent/mib_oids.h ("name oid" lines in the
# file oids, "object label(value)" lines in the file enums). See mk/nagios.am.
function put_oids(  line, f) {
	while ((getline line < oids) > 0) {
		split(line, f, " ")
		printf "    \"%s\": \"%s\",\n", f[1], f[2]
	}
	close(oids)
}
function put_enums(  line, f, prev, label, value) {
	prev = ""
	while ((getline line < enums) > 0) {
		split(line, f, " ")
		label = f[2]; sub(/\(.*/, "", label)
		value = f[2]; sub(/.*\(/, "", value); sub(/\)/, "", value)
		if (f[1] != prev) {
			if (prev != "")
				print "    },"
			printf "    \"%s\": {\n", f[1]
			prev = f[1]
		}
		printf "        \"%s\": %s,\n", label, value
	}
	if (prev != "")
		print "    },"
	close(enums)
}
$0 == "@PMTA_MIB_OIDS@" { put_oids(); next }
$0 == "@PMTA_MIB_ENUMS@" { put_enums(); next }
{ print }
