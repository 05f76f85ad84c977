#include "config.h"

#include <time.h>

#include "mib_time.h"

size_t
mib_time_date_and_time(int64_t wall_ms, uint8_t out[MIB_DATE_AND_TIME_LEN])
{
	struct tm tm;
	time_t t = (time_t)(wall_ms / 1000);
	int year;

	if (wall_ms < 0 || wall_ms > INT64_C(253402300799999) || !gmtime_r(&t, &tm))
		return 0;
	year = tm.tm_year + 1900;
	out[0] = (uint8_t)(year >> 8);
	out[1] = (uint8_t)(year & 0xff);
	out[2] = (uint8_t)(tm.tm_mon + 1);
	out[3] = (uint8_t)tm.tm_mday;
	out[4] = (uint8_t)tm.tm_hour;
	out[5] = (uint8_t)tm.tm_min;
	out[6] = (uint8_t)tm.tm_sec;
	out[7] = (uint8_t)(wall_ms % 1000 / 100);
	out[8] = '+';
	out[9] = 0;
	out[10] = 0;
	return MIB_DATE_AND_TIME_LEN;
}

uint32_t
mib_time_stamp(int64_t event_ms, int64_t origin_ms)
{
	if (event_ms == 0 || event_ms < origin_ms)
		return 0;
	return (uint32_t)((uint64_t)((event_ms - origin_ms) / 10) & 0xffffffffu);
}
