/* The exporter's doctor collector: every rule over the evidence of this
 * scrape, with counters compared against the previous scrape's (so a
 * rate-based rule sees the rate since then, and the scrape never waits
 * for a second sample). Each finding becomes
 * netlens_doctor_finding{id,area,severity} 1 and its numbers
 * netlens_doctor_finding_value{id,name}; see doctor/report.c. The first
 * scrape has one sample: rules that need a rate say so and skip. */
#include "export/collect.h"

#include "base/prom.h"
#include "doctor/doctor.h"

#include <stdio.h>

int collect_doctor(const struct collect_ctx *c, struct prom *p, char *err, size_t errlen)
{
	struct evidence ev;
	struct report *r;
	int e = evidence_gather_after(&ev, c->doctor_prev, c->h);

	if (e < 0) {
		evidence_free(&ev);
		snprintf(err, errlen, "gathering evidence: out of memory");
		return e;
	}
	r = report_new(NULL);
	report_run(r, &ev);
	report_prom(r, p);
	report_free(r);
	*c->doctor_prev = ev; /* the next scrape's first sample */
	return 0;
}
