/* The collectors the exporter knows, in the order it runs them. See collect.h. */
#include "export/collect.h"

#include <string.h>

const struct collector collectors[] = {
	{ "sockets", "TCP and UDP sockets by family and state (sock_diag)", true,
	  collect_sockets },
	{ "listeners", "each TCP listener's accept queue and limit", true, collect_listeners },
	{ "netstat", "every protocol counter nstat shows (/proc/net/snmp, netstat, snmp6)", true,
	  collect_netstat },
	{ "netdev", "interfaces: bytes, packets, errors by kind, drops, carrier, MTU, speed",
	  true, collect_netdev },
	{ "softnet", "per-CPU softnet: processed, dropped, time squeezes, backlog", true,
	  collect_softnet },
	{ "qdisc", "queueing disciplines: bytes, packets, drops, overlimits, requeues, backlog",
	  true, collect_qdisc },
	{ "sockmem", "protocol memory pools against their thresholds, pressure", true,
	  collect_sockmem },
	{ "tables", "neighbour and conntrack tables against their limits", true,
	  collect_tables },
	{ "doctor", "doctor's findings, rates over the time since the previous scrape", true,
	  collect_doctor },
	{ "tcp", "BPF: TCP connect latency and smoothed RTT histograms, failed connects, "
		 "retransmits and resets by state and reason", true, collect_tcp,
	  collect_tcp_start, collect_bpf_stop, collect_bpf_uncounted },
	{ "drops", "BPF: packets the kernel dropped, by drop reason", true, collect_drops,
	  collect_drops_start, collect_bpf_stop, collect_bpf_uncounted },
	{ "qdisclat", "BPF: time packets spend in each root qdisc, as histograms (per packet: "
		      "off by default)", false, collect_qdisclat, collect_qdisclat_start,
	  collect_bpf_stop, collect_bpf_uncounted },
	{ "dns", "BPF: DNS queries by type, responses by rcode, timeouts and response time, "
		 "from every DNS message parsed (per message: off by default)", false, collect_dns,
	  collect_dns_start, collect_dns_stop, collect_dns_uncounted },
	{ NULL, NULL, false, NULL, NULL, NULL, NULL },
};

const struct collector *collector_find(const char *name)
{
	for (const struct collector *c = collectors; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}
