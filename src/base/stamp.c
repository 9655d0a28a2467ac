/* Interval record times (stamp.h). */
#include "base/stamp.h"

#include <time.h>

void interval_stamp_now(struct interval_stamp *s)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	s->epoch = (double)ts.tv_sec + (double)(ts.tv_nsec / 1000) / 1e6;
	localtime_r(&ts.tv_sec, &tm);
	if (strftime(s->clock, sizeof(s->clock), "%H:%M:%S", &tm) == 0)
		s->clock[0] = '\0';
}
