#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <net-snmp/agent/agent_callbacks.h>

#include "agent.h"
#include "alarm.h"
#include "alarm_eval.h"
#include "pmta_result.h"
#include "cfg_load.h"
#include "collector.h"
#include "log.h"
#include "mib_agent.h"
#include "mib_alarm.h"
#include "mib_notify.h"
#include "mib_oids.h"
#include "pmta_http.h"
#include "pmta_xml.h"

#define APP_NAME "pmta-monitor"

static volatile sig_atomic_t got_term, got_hup;
static int wake_fd[2] = { -1, -1 };

static struct cfg *cfg;
static struct collector **collectors;
static size_t n_collectors;
static struct mib_state mib;
static struct alarm_engine *alarms;
static uint64_t alarms_refused_logged;	/* refused raises already reported */
static int64_t alarms_refused_at = -60;	/* monotonic time of that report */
static struct alarm_values values;	/* reused between evaluations */
static int64_t start_wall;
static int replay_pending;	/* set when the AgentX session (re)opens */
static uint64_t replay_upto;	/* events up to this one may have been lost */

static void
on_signal(int sig)
{
	int saved = errno;
	char b = 's';

	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
	/* Wakes select() even if the signal came just before it blocked. */
	if (write(wake_fd[1], &b, 1) < 0) {
		/* the pipe is full: select wakes anyway */
	}
	errno = saved;
}

static void
notify_snapshot(void *arg)
{
	char b = 'n';

	(void)arg;
	if (write(wake_fd[1], &b, 1) < 0) {
		/* the pipe is full: a wake-up is already pending */
	}
}

/* Evaluates every threshold that applies to one instance's new snapshot. */
static void
alarms_evaluate(const struct snap_instance *si)
{
	size_t k;

	for (k = 0; k < cfg->n_th; k++) {
		const struct cfg_threshold *th = &cfg->th[k];

		if (!alarm_eval_applies(th, si->name))
			continue;
		if (alarm_eval_collect(th, si, (int64_t)time(NULL), start_wall, &values) < 0)
			continue;
		alarm_engine_update(alarms, th, si->name, values.v, values.n, mono_now(),
		    mib_notify_event, &mib);
	}
	/* Queue backoff: a built-in rule, one alarm per queue in backoff. */
	if (cfg->queue_backoff_events &&
	    alarm_eval_collect(&cfg_queue_backoff_rule, si, (int64_t)time(NULL), start_wall,
	    &values) == 0)
		alarm_engine_update(alarms, &cfg_queue_backoff_rule, si->name, values.v, values.n,
		    mono_now(), mib_notify_event, &mib);
	mib_alarm_table_build(&mib, alarms);
	mib.alarms_refused = alarm_engine_refused(alarms);
	/* At most one line a minute while the cap holds, not one per refused subject. */
	if (alarm_engine_refused(alarms) > alarms_refused_logged &&
	    mono_now() - alarms_refused_at >= 60) {
		log_warnx("%d active alarms at most: %llu raises refused so far; "
		    "narrow the pmtaThreshold scopes", ALARM_MAX,
		    (unsigned long long)alarm_engine_refused(alarms));
		alarms_refused_logged = alarm_engine_refused(alarms);
		alarms_refused_at = mono_now();
	}
}

/* SNMP thread: swap in every snapshot the collectors have published. */
static void
take_snapshots(void)
{
	size_t i;

	for (i = 0; i < n_collectors; i++) {
		struct snap_instance *s = collectors[i] ? collector_take(collectors[i]) : NULL;

		if (!s)
			continue;
		snapshot_free(mib.inst[i]);
		mib.inst[i] = s;
		alarms_evaluate(s);
	}
}

/*
 * net-snmp drops notifications sent while the master is away without a
 * word, so when the session opens again every active alarm is raised anew.
 * The replay waits for the next tick (not from inside the session's own
 * callback), so it leaves out alarms whose last event came after the
 * session opened: those went out already.
 */
static int
on_session_start(int major, int minor, void *server_arg, void *client_arg)
{
	(void)major;
	(void)minor;
	(void)server_arg;
	(void)client_arg;
	/*
	 * net-snmp has just set this process's uptime from the sysUpTime in
	 * the master's Response to the Open (agentx client.c): from here on
	 * netsnmp_get_agent_uptime() runs on the master's clock, and its zero
	 * is fixed for the session, so TimeStamps stay put between reads.
	 */
	mib.master_origin_ms = mono_now_ms() - (int64_t)netsnmp_get_agent_uptime() * 10;
	replay_upto = alarm_engine_events(alarms);
	replay_pending = 1;
	return 0;
}

static void
on_wake(int fd, void *arg)
{
	char buf[256];

	(void)arg;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	log_flush();
	take_snapshots();
}

static void
on_tick(unsigned int reg, void *arg)
{
	(void)reg;
	(void)arg;
	log_flush();
	if (replay_pending) {
		size_t n;

		replay_pending = 0;
		n = alarm_engine_replay(alarms, replay_upto, mib_notify_event, &mib);
		if (n)
			log_notice("AgentX session open: sent %zu active alarm%s again",
			    n, n == 1 ? "" : "s");
	}
}

static void
workers_stop(void)
{
	size_t i;

	for (i = 0; i < n_collectors; i++)
		collector_free(collectors[i]);
	free(collectors);
	collectors = NULL;
	n_collectors = 0;
}

static int
workers_start(const struct cfg *c)
{
	sigset_t all, old;
	size_t i;
	int rc = 0;

	collectors = calloc(c->n_inst, sizeof(*collectors));
	if (!collectors)
		return -1;
	n_collectors = c->n_inst;
	/* Workers inherit this mask: signals go to the SNMP thread only. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < c->n_inst && rc == 0; i++) {
		collectors[i] = collector_new((unsigned)(i + 1), c, &c->inst[i], notify_snapshot, NULL);
		if (!collectors[i] || collector_start(collectors[i]) < 0)
			rc = -1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static void
instances_reset(size_t n)
{
	size_t i;

	for (i = 0; i < mib.n_inst; i++)
		snapshot_free(mib.inst[i]);
	free(mib.inst);
	mib.inst = calloc(n ? n : 1, sizeof(*mib.inst));
	mib.n_inst = mib.inst ? n : 0;
}

static bool
str_same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* True when the workers would run the same way under both configurations. */
static bool
workers_same(const struct cfg *a, const struct cfg *b)
{
	size_t i;

	if (a->n_inst != b->n_inst || a->api_timeout != b->api_timeout ||
	    a->poll_interval != b->poll_interval || a->stats_window != b->stats_window ||
	    a->max_rows != b->max_rows || a->max_pending != b->max_pending ||
	    a->api_max_body != b->api_max_body ||
	    a->n_hard_cats != b->n_hard_cats)
		return false;
	for (i = 0; i < a->n_hard_cats; i++)
		if (strcmp(a->hard_cats[i], b->hard_cats[i]) != 0)
			return false;
	for (i = 0; i < a->n_inst; i++) {
		const struct cfg_instance *x = &a->inst[i], *y = &b->inst[i];

		if (!str_same(x->name, y->name) || !str_same(x->url, y->url) ||
		    !str_same(x->api_key, y->api_key) || !str_same(x->ca_file, y->ca_file) ||
		    !str_same(x->acct_glob, y->acct_glob) || x->tls_verify != y->tls_verify)
			return false;
		/* A rule with a longer window needs history the statistics did not keep. */
		if (x->acct_glob && cfg_stats_horizon(a, x->name) != cfg_stats_horizon(b, y->name))
			return false;
	}
	return true;
}

/* The agent's counters start from zero now: pmtaAgentCountersStarted. */
static void
counters_restart(void)
{
	mib.counters_wall_ms = wall_now_ms();
	mib.counters_ms = mono_now_ms();
}

static void
reload(const char *path)
{
	struct cfg *c = cfg_load_file(path);

	if (!c) {
		log_errx("SIGHUP: %s is invalid; keeping the running configuration", path);
		return;
	}
	if (!workers_same(cfg, c)) {
		/* Instances or collection settings changed: start over with them. */
		log_notice("SIGHUP: instances or collection settings changed; "
		    "restarting collection (accounting counters start again)");
		workers_stop();
		instances_reset(c->n_inst);
		counters_restart();
		if (workers_start(c) < 0)
			log_errx("SIGHUP: some instances could not start");
	} else {
		size_t i;

		for (i = 0; i < n_collectors; i++)
			if (collectors[i])
				collector_set_rules(collectors[i], c);
	}
	/* Alarms of rules that are gone clear now, with their notification. */
	alarm_engine_prune(alarms, c, mib_notify_event, &mib);
	mib_alarm_table_build(&mib, alarms);
	mib_notify_set_limit(c->trap_rate_limit);
	/* The threshold table points into the config: rebuild it before freeing. */
	mib.stats_window = c->stats_window;
	mib_threshold_table_build(&mib, c);
	cfg_free(cfg);
	cfg = c;
	log_info("SIGHUP: configuration reloaded from %s", path);
}

static int
pidfile_write(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		log_err("%s: cannot write pid file", path);
		return -1;
	}
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f) == 0 ? 0 : -1;
}

/*
 * Started as root, the agent gives root up once the AgentX socket, the log
 * and the pid file are open: it only reads files and talks HTTP. With no
 * pmtaRunAsUser it becomes "nobody". The user needs read access to the
 * accounting files and the configuration (for SIGHUP), and snmpd's
 * agentXPerms must let it reconnect.
 */
static int
drop_privileges(const char *user)
{
	const char *name = user ? user : "nobody";
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	pw = getpwnam(name);
	if (!pw) {
		log_errx("pmtaRunAsUser %s: no such user", name);
		return -1;
	}
	if (pw->pw_uid == 0) {
		log_errx("pmtaRunAsUser %s: the agent does not run as root", name);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0 || setuid(0) == 0) {
		log_err("cannot become %s", name);
		return -1;
	}
	log_info("running as %s (uid %ld)", name, (long)pw->pw_uid);
	return 0;
}

static void
signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: select() must return so the loop sees the flag. */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* net-snmp's settings for a subagent that reads exactly the -c file. */
static void
netsnmp_settings(const struct agent_opts *o)
{
	/* The agent needs no MIB files; without this net-snmp looks for them and complains. */
	setenv("MIBS", "", 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
	/* -c means exactly that file: none of net-snmp's usual search path. */
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_OPTIONALCONFIG, o->config);
	/*
	 * A subagent has no persistent state (snmpd keeps engine IDs and
	 * users), and after dropping privileges it could not write
	 * /var/lib/snmp anyway: net-snmp would log failures at every exit.
	 */
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	/*
	 * Even so, net-snmp's TLS set-up (run by init_snmp whatever the
	 * transport) creates PERSISTENT_DIR/cert_indexes, as root before the
	 * privilege drop (/var/lib/snmp, made if absent), and logs "Created
	 * directory" on its first start. A path below a file cannot be created:
	 * the agent leaves no directory behind and prints nothing about it.
	 * This overrides $SNMP_PERSISTENT_DIR on purpose.
	 */
	netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_PERSISTENT_DIR, "/dev/null");
	if (o->socket)
		netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, o->socket);
}

/* -n: reads the configuration as the agent would, says what it holds, exits. */
static int
config_check(const char *path)
{
	struct cfg *c = cfg_load_file(path);

	if (!c)
		return 1;
	printf("%s: configuration OK (%zu instance%s, %zu threshold%s)\n", path,
	    c->n_inst, c->n_inst == 1 ? "" : "s", c->n_th, c->n_th == 1 ? "" : "s");
	cfg_free(c);
	return 0;
}

/*
 * The MIB, the AgentX session and the configuration (read while net-snmp
 * starts, so that its errors are counted), then the process becomes a
 * daemon and gives root up. -1 (logged) on any failure.
 */
static int
session_open(const struct agent_opts *o)
{
	start_wall = (int64_t)time(NULL);
	counters_restart();
	alarms = alarm_engine_new();
	if (!alarms || mib_register(&mib) < 0)
		return -1;
	snmp_register_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_INDEX_START,
	    on_session_start, NULL);
	cfg_load_begin();
	init_snmp(APP_NAME);
	cfg = cfg_load_end(o->config);
	if (!cfg)
		return -1;
	mib.stats_window = cfg->stats_window;
	if (mib_notify_init(cfg->trap_rate_limit) < 0)
		return -1;
	if (mib_threshold_table_build(&mib, cfg) < 0 || snap_table_index_by_scope(&mib.alarms) < 0)
		return -1;
	if (!o->foreground && netsnmp_daemonize(1, snmp_stderrlog_status()) != 0)
		return -1;
	if (o->pidfile && pidfile_write(o->pidfile) < 0)
		return -1;
	return drop_privileges(cfg->run_as_user);
}

/* The wake-up pipe, the log queue, signals, the tick, and the workers. */
static int
workers_open(void)
{
	if (pipe2(wake_fd, O_NONBLOCK | O_CLOEXEC) < 0) {
		log_err("pipe");
		return -1;
	}
	register_readfd(wake_fd[0], on_wake, NULL);
	log_init();
	log_set_wakeup_fd(wake_fd[1]);
	signals_install();
	snmp_alarm_register(1, SA_REPEAT, on_tick, NULL);
	instances_reset(cfg->n_inst);
	return workers_start(cfg);
}

/* Everything session_open() and workers_open() made, in reverse. */
static void
agent_close(void)
{
	workers_stop();
	log_flush();
	instances_reset(0);
	free(mib.inst);
	mib.inst = NULL;
	mib_unregister();
	alarm_values_clear(&values);
	mib_alarm_tables_clear(&mib);
	alarm_engine_free(alarms);
	alarms = NULL;
	mib_notify_shutdown();
	snmp_shutdown(APP_NAME);
	cfg_free(cfg);
	cfg = NULL;
}

int
agent_run(const struct agent_opts *o)
{
	struct stat sb;
	int rc = 1;

	netsnmp_settings(o);
	if (stat(o->config, &sb) < 0) {
		log_err("%s: cannot read the configuration", o->config);
		return 1;
	}
	if (pmta_http_global_init() < 0) {
		log_errx("cannot initialise libcurl");
		return 1;
	}
	pmta_xml_init();
	init_agent(APP_NAME);
	cfg_load_register();
	if (o->check_only)
		return config_check(o->config);

	if (session_open(o) < 0 || workers_open() < 0)
		goto out;
	log_info("pmta-monitor-agent %s started: %zu instance%s", PACKAGE_VERSION,
	    cfg->n_inst, cfg->n_inst == 1 ? "" : "s");
	while (!got_term) {
		agent_check_and_process(1);
		if (got_hup) {
			got_hup = 0;
			reload(o->config);
		}
	}
	log_info("pmta-monitor-agent stopping");
	rc = 0;
out:
	agent_close();
	if (o->pidfile && rc == 0)
		unlink(o->pidfile);
	return rc;
}
