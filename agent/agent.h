/*
 * The subagent's life: configuration, AgentX session, workers, signals.
 */
#ifndef PMTA_AGENT_H
#define PMTA_AGENT_H

#include <stdbool.h>

struct agent_opts {
	const char *config;	/* -c */
	const char *socket;	/* -x */
	const char *pidfile;	/* -p */
	bool foreground;	/* -f */
	bool check_only;	/* -n */
};

/* Runs until SIGTERM/SIGINT; returns the process exit code. */
int agent_run(const struct agent_opts *o);

#endif
