#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "log.h"

#define LOG_QUEUE_MAX 256	/* lines held for the SNMP thread */
#define LOG_LINE_MAX 512

struct log_line {
	int prio;
	char text[LOG_LINE_MAX];
};

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct log_line log_queue[LOG_QUEUE_MAX];
static unsigned log_head, log_count, log_dropped;
static pthread_t log_owner;
static int log_owner_set;
static int log_wakeup_fd = -1;

void
log_init(void)
{
	log_owner = pthread_self();
	log_owner_set = 1;
}

void
log_set_wakeup_fd(int fd)
{
	log_wakeup_fd = fd;
}

static int
log_on_owner(void)
{
	/* Before log_init() (tests, -n) there are no workers: write directly. */
	return !log_owner_set || pthread_equal(log_owner, pthread_self());
}

void
log_emit(int prio, int errnum, const char *fmt, ...)
{
	char text[LOG_LINE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(text)) {
		char e[128];

		/* strerror() is not thread-safe; the GNU strerror_r returns its text. */
		snprintf(text + n, sizeof(text) - (size_t)n, ": %s",
		    strerror_r(errnum, e, sizeof(e)));
	}

	if (log_on_owner()) {
		log_flush();
		snmp_log(prio, "%s\n", text);
		return;
	}

	pthread_mutex_lock(&log_lock);
	if (log_count == LOG_QUEUE_MAX) {
		log_dropped++;
	} else {
		struct log_line *l = &log_queue[(log_head + log_count) % LOG_QUEUE_MAX];
		l->prio = prio;
		memcpy(l->text, text, sizeof(l->text));
		log_count++;
	}
	pthread_mutex_unlock(&log_lock);

	if (log_wakeup_fd >= 0) {
		char b = 'l';
		/* A full pipe already means "wake up": ignore EAGAIN. */
		if (write(log_wakeup_fd, &b, 1) < 0) {
			/* nothing more to do */
		}
	}
}

void
log_flush(void)
{
	for (;;) {
		struct log_line l;
		unsigned dropped;

		pthread_mutex_lock(&log_lock);
		dropped = log_dropped;
		log_dropped = 0;
		if (log_count == 0) {
			pthread_mutex_unlock(&log_lock);
			if (dropped)
				snmp_log(LOG_WARNING, "log: %u lines from worker threads dropped\n", dropped);
			return;
		}
		l = log_queue[log_head];
		log_head = (log_head + 1) % LOG_QUEUE_MAX;
		log_count--;
		pthread_mutex_unlock(&log_lock);

		if (dropped)
			snmp_log(LOG_WARNING, "log: %u lines from worker threads dropped\n", dropped);
		snmp_log(l.prio, "%s\n", l.text);
	}
}
