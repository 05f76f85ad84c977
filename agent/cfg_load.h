/*
 * Reading pmta-monitor.conf through net-snmp's config API.
 *
 * Each pmta* directive is registered with register_app_config_handler() and
 * goes to cfg_parse(); net-snmp reports file:line. Every message net-snmp
 * logs while reading (our errors, and its own "Unknown token" warnings) is
 * counted, so a config with any of them is invalid as a whole.
 */
#ifndef PMTA_CFG_LOAD_H
#define PMTA_CFG_LOAD_H

#include "cfg.h"

/* Registers the directives; call after init_agent(), before init_snmp(). */
void cfg_load_register(void);

/* Starts collecting directives into a fresh struct cfg. */
void cfg_load_begin(void);

/*
 * Ends collection: returns the new config, or NULL when anything was wrong
 * (each problem already logged as file:line). Checks the file's mode when
 * the config holds a secret.
 */
struct cfg *cfg_load_end(const char *path);

/* Reads path on its own (for SIGHUP and -n): begin, read, end. */
struct cfg *cfg_load_file(const char *path);

#endif
