/*
 * Logging that any thread may call.
 *
 * net-snmp's snmp_log() is not thread-safe, and every net-snmp call must stay
 * on the SNMP thread. So worker threads queue their lines here and the SNMP
 * thread writes them out through snmp_log() (and so through the -L options)
 * when log_flush() runs. On the SNMP thread itself, log_msg() writes at once.
 * The queue is bounded: when workers outpace the SNMP thread, lines are
 * dropped and the number dropped is logged on the next flush.
 */
#ifndef PMTA_LOG_H
#define PMTA_LOG_H

#include <syslog.h>

/* Call once on the SNMP thread before any worker starts. */
void log_init(void);

/* Takes a wake-up file descriptor written to (one byte) when a worker queues a line. */
void log_set_wakeup_fd(int fd);

/* printf-style; prio is a syslog priority (LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG). */
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes queued lines; SNMP thread only. */
void log_flush(void);

#endif
