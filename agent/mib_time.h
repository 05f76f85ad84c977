/*
 * The MIB's two kinds of time, pure: RFC 2579 DateAndTime from the wall
 * clock, and TimeStamp (a sysUpTime value) from the monotonic clock. No
 * net-snmp: mib_agent.c supplies where the master's sysUpTime started.
 */
#ifndef PMTA_MIB_TIME_H
#define PMTA_MIB_TIME_H

#include <stddef.h>
#include <stdint.h>

#define MIB_DATE_AND_TIME_LEN 11

/*
 * wall_ms (milliseconds since 1970, UTC) as an 11-byte DateAndTime in UTC
 * (the "+0:0" form, so that a manager in any time zone reads the same
 * instant), to the tenth of a second. Returns 11, or 0 (out untouched) for
 * a time before 1970 or after 9999.
 */
size_t mib_time_date_and_time(int64_t wall_ms, uint8_t out[MIB_DATE_AND_TIME_LEN]);

/*
 * The TimeStamp of an event at event_ms on the monotonic clock, on a
 * sysUpTime that was 0 at origin_ms on the same clock: hundredths of a
 * second from origin to event, modulo 2^32 as TimeTicks wrap. 0 when the
 * event came before the origin (RFC 2579: before the last
 * re-initialisation) or never happened (event_ms 0).
 */
uint32_t mib_time_stamp(int64_t event_ms, int64_t origin_ms);

#endif
