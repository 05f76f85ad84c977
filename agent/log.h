/*
 * Logging that any thread may call.
 *
 * net-snmp's snmp_log() is not thread-safe, and every net-snmp call must stay
 * on the SNMP thread. So worker threads queue their lines here and the SNMP
 * thread writes them out through snmp_log() (and so through the -L options)
 * when log_flush() runs. On the SNMP thread itself, log_emit() writes at once.
 * The queue is bounded: when workers outpace the SNMP thread, lines are
 * dropped and the number dropped is logged on the next flush.
 */
#ifndef PMTA_LOG_H
#define PMTA_LOG_H

#include <errno.h>
#include <syslog.h>

/* Call once on the SNMP thread before any worker starts. */
void log_init(void);

/* Takes a wake-up file descriptor written to (one byte) when a worker queues a line. */
void log_set_wakeup_fd(int fd);

/*
 * The one way to log. A message is a printf format without a trailing
 * newline (the line end is added here). prio is a syslog priority; when
 * errnum is not 0, ": " and strerror(errnum) follow the message. Tests wrap
 * this function at link time (-Wl,--wrap=log_emit) to read what was logged.
 */
void log_emit(int prio, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * By level, after OpenBSD's log.h: the plain forms append strerror(errno)
 * (call them right after the failing call), the x forms do not.
 */
#define log_err(...)	log_emit(LOG_ERR, errno, __VA_ARGS__)
#define log_errx(...)	log_emit(LOG_ERR, 0, __VA_ARGS__)
#define log_warn(...)	log_emit(LOG_WARNING, errno, __VA_ARGS__)
#define log_warnx(...)	log_emit(LOG_WARNING, 0, __VA_ARGS__)
#define log_notice(...)	log_emit(LOG_NOTICE, 0, __VA_ARGS__)
#define log_info(...)	log_emit(LOG_INFO, 0, __VA_ARGS__)
#define log_debug(...)	log_emit(LOG_DEBUG, 0, __VA_ARGS__)

/* Writes queued lines; SNMP thread only. */
void log_flush(void);

#endif
