#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "cfg_load.h"
#include "log.h"

static struct cfg *loading;
static unsigned problems;
static netsnmp_log_handler *counter;

static void
on_directive(const char *token, char *line)
{
	char err[CFG_ERR_MAX];

	if (!loading)
		return;
	if (cfg_parse(loading, token, line, err, sizeof(err)) < 0)
		config_perror(err);	/* logs "FILE: line N: Error: ..." and we count it */
}

/* A log handler of type callback: sees every message while the file is read. */
static int
on_log(int major, int minor, void *server_arg, void *client_arg)
{
	const struct snmp_log_message *m = server_arg;

	(void)major;
	(void)minor;
	(void)client_arg;
	/*
	 * Only messages about a line of a file: init_snmp() also connects to
	 * the master while we listen, and "snmpd is not there yet" is no
	 * configuration problem.
	 */
	if (loading && m->priority <= LOG_WARNING && m->msg && strstr(m->msg, ": line ") &&
	    (strstr(m->msg, "Error:") || strstr(m->msg, "Warning:")))
		problems++;
	return 0;
}

void
cfg_load_register(void)
{
	size_t i;

	for (i = 0; cfg_tokens[i]; i++)
		register_app_config_handler(cfg_tokens[i], on_directive, NULL, NULL);
	snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, on_log, NULL);
}

void
cfg_load_begin(void)
{
	cfg_free(loading);
	loading = cfg_new();
	problems = 0;
	if (!counter) {
		counter = netsnmp_register_loghandler(NETSNMP_LOGHANDLER_CALLBACK, LOG_WARNING);
		if (counter)
			counter->token = strdup("pmta-monitor-config");
	}
	if (counter)
		netsnmp_enable_this_loghandler(counter);
}

struct cfg *
cfg_load_end(const char *path)
{
	struct cfg *c = loading;
	char err[CFG_ERR_MAX];
	struct stat sb;

	loading = NULL;
	if (counter)
		netsnmp_disable_this_loghandler(counter);
	if (!c)
		return NULL;
	if (problems == 0 && cfg_validate(c, err, sizeof(err)) < 0) {
		log_errx("%s: %s", path, err);
		problems++;
	}
	/* A key that others can read is a key others have: refuse the file. */
	if (problems == 0 && c->has_secret && path) {
		if (stat(path, &sb) < 0) {
			log_err("%s: cannot stat", path);
			problems++;
		} else if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
			log_errx("%s: holds an API key or URL password and is readable by "
			    "other users (mode %03o): chmod 600 it", path, sb.st_mode & 0777);
			problems++;
		}
	}
	if (problems) {
		log_errx("%s: %u problem%s in the configuration", path, problems,
		    problems == 1 ? "" : "s");
		cfg_free(c);
		return NULL;
	}
	return c;
}

struct cfg *
cfg_load_file(const char *path)
{
	struct stat sb;

	if (stat(path, &sb) < 0) {
		log_err("%s: cannot read", path);
		return NULL;
	}
	cfg_load_begin();
	read_config_with_type(path, netsnmp_ds_get_string(NETSNMP_DS_LIBRARY_ID,
	    NETSNMP_DS_LIB_APPTYPE));
	return cfg_load_end(path);
}
