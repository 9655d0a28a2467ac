/* The time of an interval record, one convention for every command that
 * prints every -i seconds (nstat, ifstat, tracers' summaries):
 *   text: a TIME column with the local wall clock, HH:MM:SS, as sar prints;
 *   JSON: "timestamp", seconds since the epoch (UTC) with microseconds. */
#ifndef NETLENS_STAMP_H
#define NETLENS_STAMP_H

struct interval_stamp {
	double epoch;   /* CLOCK_REALTIME, seconds */
	char clock[16]; /* "14:03:27", local time */
};

void interval_stamp_now(struct interval_stamp *s);

#endif
