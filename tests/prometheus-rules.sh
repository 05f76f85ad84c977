#!/bin/sh
# conf/prometheus/pmta-monitor.rules.yml must pass `promtool check rules`, and
# every unit test in conf/prometheus/tests/ (each alert firing and resolving on
# sample series) must pass `promtool test rules`. promtool (Debian's
# prometheus package, installed by scripts/deps) missing is a failure.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
if ! command -v promtool >/dev/null; then
	echo "FAIL: promtool is missing (apt-get install prometheus; scripts/deps installs it)" >&2
	exit 1
fi
dir="$top_srcdir/conf/prometheus"
promtool check rules "$dir/pmta-monitor.rules.yml"
n=0
for t in "$dir"/tests/*.yml; do
	promtool test rules "$t"
	n=$((n + 1))
done
if [ "$n" -eq 0 ]; then
	echo "FAIL: no promtool unit tests in $dir/tests" >&2
	exit 1
fi
echo "ok: promtool check rules, $n unit test file(s) pass"
