/*
 * pmta-monitor-agent: an AgentX subagent publishing PowerMTA's state under
 * PMTA-MONITOR-MIB. Option parsing only; the rest is in the library.
 */
#include "config.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "agent.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: pmta-monitor-agent [-fnV] [-c FILE] [-x SOCKET] [-p PIDFILE] [-D TOKENS] [-L...]\n"
	    "  -f          stay in the foreground\n"
	    "  -c FILE     configuration file (default " SYSCONFDIR "/pmta-monitor/pmta-monitor.conf)\n"
	    "  -x SOCKET   AgentX master socket (default: net-snmp's, or agentXSocket in FILE)\n"
	    "  -p PIDFILE  write the process id there\n"
	    "  -n          check the configuration and exit (0: valid)\n"
	    "  -D TOKENS   net-snmp debug output for TOKENS (e.g. -Dagentx)\n"
	    "  -L...       net-snmp logging: -Le stderr, -Lo stdout, -Lf FILE, -Ls FACILITY\n"
	    "  -V          print the version and exit\n");
}

int
main(int argc, char **argv)
{
	struct agent_opts o = {
		.config = SYSCONFDIR "/pmta-monitor/pmta-monitor.conf",
	};
	bool logging_set = false;
	int ch;

	/*
	 * A snapshot is a few dozen arrays of up to tens of MB, built on the
	 * collector's thread and freed on the SNMP thread. glibc's mmap
	 * threshold rises to the size of each such array freed, after which
	 * the next ones come from the heap and leave it fragmented: with
	 * 100,000 domains RSS then swung between 400 and 600 MB. A fixed
	 * threshold keeps them mapped, so each free gives its pages back.
	 */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	while ((ch = getopt(argc, argv, "fc:x:p:nD:L:Vh")) != -1) {
		switch (ch) {
		case 'f':
			o.foreground = true;
			break;
		case 'c':
			o.config = optarg;
			break;
		case 'x':
			o.socket = optarg;
			break;
		case 'p':
			o.pidfile = optarg;
			break;
		case 'n':
			o.check_only = true;
			break;
		case 'D':
			debug_register_tokens(optarg);
			snmp_set_do_debugging(1);
			break;
		case 'L':
			if (snmp_log_options(optarg, argc, argv) < 0) {
				usage(stderr);
				return 2;
			}
			logging_set = true;
			break;
		case 'V':
			printf("pmta-monitor-agent %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!logging_set) {
		/* A daemon logs to syslog; in the foreground or for -n, to stderr. */
		if (o.foreground || o.check_only)
			snmp_enable_stderrlog();
		else
			snmp_enable_syslog_ident("pmta-monitor-agent", LOG_DAEMON);
	}
	return agent_run(&o);
}
