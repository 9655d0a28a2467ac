/* Rules: sysctls that harden the stack against old, cheap attacks. */
#include "doctor/doctor.h"

struct hardening {
	const char *sysctl, *path, *want_text, *summary, *fix;
	long long want;
};

static void check_one(struct report *r, const struct evidence *ev, const struct hardening *h)
{
	long long v = ev_sysctl(ev, h->sysctl);

	if (v < 0)
		return rule_skip(r, "%s is unreadable", h->sysctl);
	if (v == h->want)
		return;
	struct finding *f = finding_add(r, SEV_INFO, h->sysctl, "%s", h->summary);
	finding_evidence(f, h->path, "%s = %lld (recommended %s)", h->sysctl, v, h->want_text);
	finding_fix(f, "%s", h->fix);
}

static void check_icmp_broadcast(struct report *r, const struct evidence *ev)
{
	static const struct hardening h = {
		"net.ipv4.icmp_echo_ignore_broadcasts", "/proc/sys/net/ipv4/icmp_echo_ignore_broadcasts",
		"1", "the host answers broadcast pings, so it can amplify a Smurf attack",
		"sysctl -w net.ipv4.icmp_echo_ignore_broadcasts=1", 1,
	};
	check_one(r, ev, &h);
}

DOCTOR_RULE(icmp_broadcast, .id = "icmp-echo-broadcast", .area = "hardening",
	    .title = "answering broadcast pings (net.ipv4.icmp_echo_ignore_broadcasts)",
	    .explain = "A host that answers ICMP echo sent to a broadcast address multiplies a\n"
		       "spoofed ping into many replies aimed at the victim (a Smurf attack).\n"
		       "The default, 1, ignores them.",
	    .check = check_icmp_broadcast);

static void check_icmp_bogus(struct report *r, const struct evidence *ev)
{
	static const struct hardening h = {
		"net.ipv4.icmp_ignore_bogus_error_responses",
		"/proc/sys/net/ipv4/icmp_ignore_bogus_error_responses", "1",
		"bogus ICMP error responses are logged, which lets a sender fill the kernel log",
		"sysctl -w net.ipv4.icmp_ignore_bogus_error_responses=1", 1,
	};
	check_one(r, ev, &h);
}

DOCTOR_RULE(icmp_bogus, .id = "icmp-bogus-errors", .area = "hardening",
	    .title = "logging bogus ICMP error responses",
	    .explain = "Some routers answer broadcast frames with ICMP errors that violate RFC 1122;\n"
		       "with icmp_ignore_bogus_error_responses=0 each one is logged, which a\n"
		       "remote sender can use to flood the kernel log. The default, 1, ignores them.",
	    .check = check_icmp_bogus);
