/* Counter meanings; see explain.h. Sysctl meanings live in explain_sysctl.c.
 * Texts follow the kernel's own accounting (net/ipv4/proc.c, tcp_input.c,
 * tcp.c, udp.c) and the operator's view in the source notes. */
#include "sources/explain.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	const char *name, *meaning, *cause;
};

#define E(n, m, c) { n, m, c }

static const struct entry counters[] = {
	/* --- Ip / IpExt (IPv6: Ip6*) --- */
	E("IpInReceives", "IP packets received from interfaces, including ones later discarded", NULL),
	E("IpInHdrErrors", "IP packets discarded for a bad header (version, checksum, TTL exceeded, options)", "corrupt packets, or TTL expiring in a routing loop"),
	E("IpInAddrErrors", "IP packets discarded because the destination address is not valid for this host", "traffic for addresses not configured here with forwarding off, or martians"),
	E("IpForwDatagrams", "IP packets forwarded to another host", "this host routing traffic (ip_forward=1)"),
	E("IpInUnknownProtos", "IP packets delivered locally for a protocol nobody handles", "protocols without a kernel handler (e.g. SCTP or GRE modules not loaded)"),
	E("IpInDiscards", "IP packets received intact but discarded, e.g. for lack of memory", "memory shortage or netfilter drops before delivery"),
	E("IpInDelivers", "IP packets delivered to local protocols (TCP, UDP, ICMP, ...)", NULL),
	E("IpOutRequests", "IP packets local protocols handed to IP for sending (not counting forwarded ones)", NULL),
	E("IpOutDiscards", "outgoing IP packets discarded although nothing was wrong with them", "full queues or memory shortage on the send path, netfilter drops"),
	E("IpOutNoRoutes", "IP packets discarded because no route to the destination exists", "missing default route or routes, unreachable networks"),
	E("IpReasmTimeout", "fragment reassemblies abandoned because not all fragments arrived in time", "lost fragments on the path, ipfrag_time too short"),
	E("IpReasmReqds", "fragments received that needed reassembly", "senders fragmenting: MTU mismatch, large UDP datagrams"),
	E("IpReasmOKs", "packets successfully reassembled from fragments", NULL),
	E("IpReasmFails", "reassembly failures of any kind (timeout, overlap, memory)", "lost fragments, ipfrag_high_thresh reached, fragment attacks"),
	E("IpFragOKs", "packets successfully fragmented on output", "sending packets larger than the route MTU"),
	E("IpFragFails", "packets discarded because they needed fragmenting but had DF set or could not be", "PMTU discovery at work; black holes when ICMP is filtered"),
	E("IpFragCreates", "fragments created on output", NULL),
	E("IpOutTransmits", "IP packets handed to the link layer for transmission", NULL),
	E("IpExtInNoRoutes", "received packets dropped because no route matched them", "asymmetric routing or missing routes on a forwarding host"),
	E("IpExtInTruncatedPkts", "received packets shorter than their IP header says", "corrupt frames or broken drivers"),
	E("IpExtInMcastPkts", "multicast IP packets received", NULL),
	E("IpExtOutMcastPkts", "multicast IP packets sent", NULL),
	E("IpExtInBcastPkts", "broadcast IP packets received", NULL),
	E("IpExtOutBcastPkts", "broadcast IP packets sent", NULL),
	E("IpExtInOctets", "bytes of IP packets received", NULL),
	E("IpExtOutOctets", "bytes of IP packets sent", NULL),
	E("IpExtInMcastOctets", "bytes of multicast IP packets received", NULL),
	E("IpExtOutMcastOctets", "bytes of multicast IP packets sent", NULL),
	E("IpExtInBcastOctets", "bytes of broadcast IP packets received", NULL),
	E("IpExtOutBcastOctets", "bytes of broadcast IP packets sent", NULL),
	E("IpExtInCsumErrors", "IP packets received with a bad header checksum", "corruption on the wire or a faulty NIC"),
	E("IpExtInNoECTPkts", "packets received without ECN capability", NULL),
	E("IpExtInECT1Pkts", "packets received marked ECT(1)", NULL),
	E("IpExtInECT0Pkts", "packets received marked ECT(0) (ECN capable)", NULL),
	E("IpExtInCEPkts", "packets received marked Congestion Experienced by an ECN router", "congested queues on the path with ECN enabled"),
	E("IpExtReasmOverlaps", "fragments dropped because they overlapped others", "fragment attacks or broken senders"),
	E("IpExtOutTransmits", "IP packets handed to the link layer for transmission", NULL),
	/* --- Icmp --- */
	E("IcmpInMsgs", "ICMP messages received, including erroneous ones", NULL),
	E("IcmpInErrors", "ICMP messages received with errors (bad checksum, too short)", "corrupt or malicious ICMP"),
	E("IcmpInCsumErrors", "ICMP messages received with a bad checksum", "corruption on the wire"),
	E("IcmpOutMsgs", "ICMP messages sent", NULL),
	E("IcmpOutErrors", "ICMP messages not sent because of errors inside ICMP (e.g. no buffers)", NULL),
	E("IcmpOutRateLimitGlobal", "ICMP messages suppressed by the global ICMP rate limit (icmp_msgs_per_sec)", "floods of packets that trigger ICMP errors, e.g. port scans"),
	E("IcmpOutRateLimitHost", "ICMP messages suppressed by the per-destination rate limit (icmp_ratelimit)", "one peer repeatedly triggering ICMP errors"),
	/* --- Tcp --- */
	E("TcpActiveOpens", "connections this host opened (SYN-SENT entered from CLOSED)", "outgoing connect() calls"),
	E("TcpPassiveOpens", "connections accepted from peers (SYN-RECV entered from LISTEN)", "incoming connections"),
	E("TcpAttemptFails", "connection attempts that failed (SYN-SENT/SYN-RECV back to CLOSED or LISTEN)", "refused or unanswered connects, peers resetting during the handshake"),
	E("TcpEstabResets", "established or CLOSE-WAIT connections that were reset", "peers or applications aborting connections"),
	E("TcpInSegs", "TCP segments received, including erroneous ones", NULL),
	E("TcpOutSegs", "TCP segments sent, excluding retransmissions", NULL),
	E("TcpRetransSegs", "TCP segments retransmitted", "packet loss or congestion on the path, full queues, RTO timeouts"),
	E("TcpInErrs", "TCP segments received with errors (bad checksum, malformed)", "corruption, or memory shortage dropping segments"),
	E("TcpOutRsts", "TCP segments sent with RST set", "connections to closed ports, aborted connections, listen queue overflow with tcp_abort_on_overflow"),
	E("TcpInCsumErrors", "TCP segments received with a bad checksum", "corruption on the wire or broken checksum offload"),
	/* --- Udp (also Udp6, UdpLite, UdpLite6) --- */
	E("UdpInDatagrams", "UDP datagrams delivered to sockets", NULL),
	E("UdpNoPorts", "UDP datagrams for a port with no socket bound (answered with ICMP port unreachable)", "clients sending to a stopped service, scans, DNS replies arriving after a timeout"),
	E("UdpInErrors", "UDP datagrams that could not be delivered for reasons other than no port (includes RcvbufErrors, MemErrors and checksum errors)", "full socket receive buffers, udp_mem exhausted, bad checksums"),
	E("UdpOutDatagrams", "UDP datagrams sent", NULL),
	E("UdpRcvbufErrors", "UDP datagrams dropped because the receiving socket's buffer (SO_RCVBUF) was full", "an application reading too slowly for bursts, or rmem_default/rmem_max too small"),
	E("UdpSndbufErrors", "UDP sends that failed for lack of send buffer space or a full device queue (ENOBUFS)", "sending faster than the NIC or qdisc drains, small SO_SNDBUF/wmem_default"),
	E("UdpInCsumErrors", "UDP datagrams received with a bad checksum", "corruption on the wire or broken checksum offload"),
	E("UdpIgnoredMulti", "broadcast or multicast UDP datagrams ignored because no socket wanted them", "broadcast chatter on the LAN"),
	E("UdpMemErrors", "UDP datagrams dropped because UDP's total memory (net.ipv4.udp_mem) was exhausted", "many sockets holding unread data, udp_mem too small"),
	/* --- TcpExt --- */
	E("TcpExtSyncookiesSent", "SYN cookies sent instead of queueing a request, because a listener's SYN queue was full", "SYN floods, or a SYN backlog (tcp_max_syn_backlog, listen backlog) too small for connection bursts"),
	E("TcpExtSyncookiesRecv", "ACKs carrying a valid SYN cookie that completed a connection", "clients answering SYN cookies sent during a SYN queue overflow"),
	E("TcpExtSyncookiesFailed", "ACKs with an invalid or expired SYN cookie", "forged ACKs, or ACKs arriving long after the cookie was sent"),
	E("TcpExtEmbryonicRsts", "resets received for connections still in SYN-RECV", "clients giving up during the handshake, scans"),
	E("TcpExtPruneCalled", "times a socket's receive queue was collapsed and pruned to free memory", "receive buffers filling faster than the application reads, or TCP memory pressure (tcp_mem)"),
	E("TcpExtRcvPruned", "times pruning (collapse and out-of-order purge) still could not free enough memory and received data was dropped", "TCP memory above tcp_mem high, applications not reading"),
	E("TcpExtOfoPruned", "times the out-of-order queue was discarded (SACKed data thrown away) to free memory", "memory pressure while packets are lost or reordered"),
	E("TcpExtOutOfWindowIcmps", "ICMP errors dropped because they referred to data outside the window", "stale or forged ICMP"),
	E("TcpExtLockDroppedIcmps", "ICMP errors dropped because the socket was locked by its user", NULL),
	E("TcpExtArpFilter", "ARP requests not answered because of arp_filter", "arp_filter=1 with several interfaces on one subnet"),
	E("TcpExtTW", "TIME-WAIT sockets that ended by timeout", "closing connections actively"),
	E("TcpExtTWRecycled", "TIME-WAIT sockets reused for a new outgoing connection (timestamps, tcp_tw_reuse)", NULL),
	E("TcpExtTWKilled", "TIME-WAIT sockets destroyed early", "RSTs in TIME-WAIT, namespace teardown"),
	E("TcpExtPAWSActive", "SYN-ACKs rejected by PAWS (timestamp older than expected)", "broken timestamps, NAT mixing hosts"),
	E("TcpExtPAWSEstab", "segments on established connections rejected by PAWS (old timestamp)", "NAT mixing hosts with different clocks, duplicated old packets"),
	E("TcpExtBeyondWindow", "segments rejected because they were beyond the receive window", NULL),
	E("TcpExtTSEcrRejected", "segments rejected because their echoed timestamp was invalid", NULL),
	E("TcpExtPAWSOldAck", "ACKs rejected by PAWS", NULL),
	E("TcpExtPAWSTimewait", "segments to TIME-WAIT sockets rejected by PAWS", NULL),
	E("TcpExtDelayedACKs", "delayed ACKs sent when the delayed-ACK timer fired", NULL),
	E("TcpExtDelayedACKLocked", "delayed ACKs deferred because the socket was locked by its user", NULL),
	E("TcpExtDelayedACKLost", "duplicate data received because an ACK we sent was lost or late (quick ACK sent)", "loss on the return path"),
	E("TcpExtListenOverflows", "completed connections dropped because a listener's accept queue was full", "an application calling accept() too slowly, or a listen() backlog / net.core.somaxconn too small"),
	E("TcpExtListenDrops", "connection requests dropped at a LISTEN socket for any reason (includes every ListenOverflow)", "full accept queue, full SYN queue, memory shortage"),
	E("TcpExtTCPHPHits", "segments handled by the header-prediction fast path", NULL),
	E("TcpExtTCPPureAcks", "ACKs received without data", NULL),
	E("TcpExtTCPHPAcks", "ACKs handled by the fast path", NULL),
	E("TcpExtTCPRenoRecovery", "fast recoveries started without SACK (NewReno)", "loss on connections without SACK"),
	E("TcpExtTCPSackRecovery", "fast recoveries started using SACK", "packet loss"),
	E("TcpExtTCPSACKReneging", "peers that discarded data they had already SACKed", "peers under memory pressure, buggy middleboxes"),
	E("TcpExtTCPSACKReorder", "reordering detected using SACK", "multipath links, parallel processing in middleboxes"),
	E("TcpExtTCPRenoReorder", "reordering detected using duplicate ACKs", NULL),
	E("TcpExtTCPTSReorder", "reordering detected using timestamps", NULL),
	E("TcpExtTCPFullUndo", "congestion window reductions fully undone because the loss was spurious", NULL),
	E("TcpExtTCPPartialUndo", "congestion window reductions partially undone", NULL),
	E("TcpExtTCPDSACKUndo", "congestion window reductions undone thanks to D-SACK", NULL),
	E("TcpExtTCPLossUndo", "congestion window reductions after a timeout undone", NULL),
	E("TcpExtTCPLostRetransmit", "retransmitted segments that were lost again", "persistent loss or congestion on the path, policers"),
	E("TcpExtTCPRenoFailures", "timeouts during NewReno fast recovery", NULL),
	E("TcpExtTCPSackFailures", "timeouts during SACK fast recovery", NULL),
	E("TcpExtTCPLossFailures", "timeouts in the loss state", NULL),
	E("TcpExtTCPFastRetrans", "segments retransmitted by fast retransmit (duplicate ACKs/SACK/RACK), not by timeout", "packet loss"),
	E("TcpExtTCPSlowStartRetrans", "segments retransmitted in slow start after a timeout", "packet loss severe enough to cause timeouts"),
	E("TcpExtTCPTimeouts", "retransmission timeouts: the RTO fired because no ACK came in time", "heavy loss, tail loss, a dead peer or path"),
	E("TcpExtTCPLossProbes", "tail loss probes sent", "losses at the end of a burst"),
	E("TcpExtTCPLossProbeRecovery", "losses repaired by a tail loss probe", NULL),
	E("TcpExtTCPRenoRecoveryFail", "NewReno recoveries that ended in a timeout", NULL),
	E("TcpExtTCPSackRecoveryFail", "SACK recoveries that ended in a timeout", NULL),
	E("TcpExtTCPRcvCollapsed", "received packets merged (collapsed) to save memory", "receive buffers nearly full, memory pressure"),
	E("TcpExtTCPBacklogCoalesce", "segments merged into the socket backlog", NULL),
	E("TcpExtTCPDSACKOldSent", "D-SACKs sent for old duplicate data", "spurious retransmissions by the peer"),
	E("TcpExtTCPDSACKOfoSent", "D-SACKs sent for out-of-order duplicate data", NULL),
	E("TcpExtTCPDSACKRecv", "D-SACKs received: the peer got duplicate data from us", "spurious retransmissions"),
	E("TcpExtTCPDSACKOfoRecv", "D-SACKs received for out-of-order duplicates", NULL),
	E("TcpExtTCPAbortOnData", "connections reset because data arrived after the application closed them", "applications closing connections that still receive data"),
	E("TcpExtTCPAbortOnClose", "connections reset because the application closed them with unread data", "applications closing without reading everything"),
	E("TcpExtTCPAbortOnMemory", "connections reset by TCP out-of-memory (\"TCP: out of memory\"): closed with data queued while tcp_mem high or tcp_max_orphans was exceeded", "TCP memory above tcp_mem high, too many orphaned sockets"),
	E("TcpExtTCPAbortOnTimeout", "connections killed after too many retransmissions or keepalive probes", "dead peers or paths (tcp_retries2, keepalive settings)"),
	E("TcpExtTCPAbortOnLinger", "connections reset when FIN-WAIT-2 or SO_LINGER time ran out", NULL),
	E("TcpExtTCPAbortFailed", "resets that could not be sent because allocating their buffer failed", "slab allocation failure under memory shortage (not the tcp_mem quota)"),
	E("TcpExtTCPMemoryPressures", "times TCP entered memory pressure (pages in use rose above tcp_mem pressure)", "many sockets with large buffers, slow readers, tcp_mem too small"),
	E("TcpExtTCPMemoryPressuresChrono", "milliseconds TCP spent in memory pressure", "the same as TCPMemoryPressures, lasting"),
	E("TcpExtTCPSACKDiscard", "SACK blocks discarded as invalid", NULL),
	E("TcpExtTCPDSACKIgnoredOld", "D-SACKs ignored as too old", NULL),
	E("TcpExtTCPDSACKIgnoredNoUndo", "D-SACKs ignored because there was nothing to undo", NULL),
	E("TcpExtTCPSpuriousRTOs", "retransmission timeouts found spurious (F-RTO)", "delay spikes rather than loss"),
	E("TcpExtTCPMD5NotFound", "segments dropped because an MD5 signature was expected but missing", "TCP-MD5 (BGP) misconfiguration"),
	E("TcpExtTCPMD5Unexpected", "segments dropped because they had an MD5 signature nobody configured", NULL),
	E("TcpExtTCPMD5Failure", "segments dropped for a wrong MD5 signature", "mismatched TCP-MD5 keys"),
	E("TcpExtTCPSackShifted", "SACKed segments shifted into others", NULL),
	E("TcpExtTCPSackMerged", "SACKed segments merged", NULL),
	E("TcpExtTCPSackShiftFallback", "SACKs that could not be shifted or merged", NULL),
	E("TcpExtTCPBacklogDrop", "segments dropped because the socket backlog (used while the user holds the socket) was full", "applications holding the socket lock long, small buffers"),
	E("TcpExtPFMemallocDrop", "segments dropped because they came from emergency (pfmemalloc) memory", "severe memory shortage"),
	E("TcpExtTCPMinTTLDrop", "segments dropped for a TTL below IP_MINTTL", NULL),
	E("TcpExtTCPDeferAcceptDrop", "handshake ACKs dropped because TCP_DEFER_ACCEPT waits for data", NULL),
	E("TcpExtIPReversePathFilter", "packets dropped by reverse-path filtering: their source is not reachable back through the interface they came in on", "asymmetric routing with rp_filter=1, several NICs, spoofed sources"),
	E("TcpExtTCPTimeWaitOverflow", "connections closed without a TIME-WAIT socket because tcp_max_tw_buckets was reached", "a high rate of short connections closed actively"),
	E("TcpExtTCPReqQFullDoCookies", "SYN cookies sent because a listener's SYN queue was full", "SYN floods or connection bursts larger than the SYN backlog"),
	E("TcpExtTCPReqQFullDrop", "SYNs dropped because a listener's SYN queue was full and SYN cookies were off", "SYN floods or bursts with tcp_syncookies=0"),
	E("TcpExtTCPRetransFail", "retransmissions that failed locally (the device or qdisc refused the packet)", "full qdiscs or driver queues"),
	E("TcpExtTCPRcvCoalesce", "received segments coalesced into the previous one", NULL),
	E("TcpExtTCPOFOQueue", "segments queued out of order", "loss or reordering"),
	E("TcpExtTCPOFODrop", "out-of-order segments dropped because the receive buffer had no room", "small receive buffers, memory pressure"),
	E("TcpExtTCPOFOMerge", "out-of-order segments merged with ones already queued", NULL),
	E("TcpExtTCPChallengeACK", "challenge ACKs sent (RFC 5961)", "RSTs or SYNs with an in-window but unexpected sequence number"),
	E("TcpExtTCPSYNChallenge", "challenge ACKs sent for SYNs on established connections", NULL),
	E("TcpExtTCPFastOpenActive", "TCP Fast Open connections we opened with data in the SYN", NULL),
	E("TcpExtTCPFastOpenActiveFail", "Fast Open attempts that fell back to a normal handshake", "middleboxes dropping SYN data"),
	E("TcpExtTCPFastOpenPassive", "Fast Open connections accepted with data in the SYN", NULL),
	E("TcpExtTCPFastOpenPassiveFail", "incoming Fast Open attempts refused (bad cookie)", NULL),
	E("TcpExtTCPFastOpenListenOverflow", "Fast Open requests refused because the listener's TFO queue was full", NULL),
	E("TcpExtTCPFastOpenCookieReqd", "Fast Open cookies requested by clients", NULL),
	E("TcpExtTCPFastOpenBlackhole", "times Fast Open was disabled after detecting a black hole", NULL),
	E("TcpExtTCPSpuriousRtxHostQueues", "retransmissions skipped because the original was still queued in the host", "full qdiscs or driver queues"),
	E("TcpExtBusyPollRxPackets", "packets received by busy polling", NULL),
	E("TcpExtTCPAutoCorking", "sends delayed by autocorking to build larger segments", NULL),
	E("TcpExtTCPFromZeroWindowAdv", "times we reopened a zero receive window", NULL),
	E("TcpExtTCPToZeroWindowAdv", "times we advertised a zero receive window", "applications not reading, receive buffers full"),
	E("TcpExtTCPWantZeroWindowAdv", "times the receive window would have shrunk to zero", "applications not reading"),
	E("TcpExtTCPSynRetrans", "SYN and SYN-ACK retransmissions", "unreachable or overloaded peers, lost handshakes"),
	E("TcpExtTCPOrigDataSent", "segments sent with new data (not retransmissions)", NULL),
	E("TcpExtTCPKeepAlive", "keepalive probes sent", NULL),
	E("TcpExtTCPWinProbe", "zero-window probes sent", "peers advertising a zero window"),
	E("TcpExtTCPMTUPFail", "MTU probes that failed", NULL),
	E("TcpExtTCPMTUPSuccess", "MTU probes that succeeded", NULL),
	E("TcpExtTCPDelivered", "segments delivered to the peer (acknowledged), retransmissions included", NULL),
	E("TcpExtTCPDeliveredCE", "delivered segments the peer reported as ECN Congestion Experienced", "ECN-marking queues on the path"),
	E("TcpExtTCPAckCompressed", "ACKs compressed (several replaced by one)", NULL),
	E("TcpExtTCPZeroWindowDrop", "segments dropped because our receive window was zero", "applications not reading"),
	E("TcpExtTCPRcvQDrop", "received segments dropped because the socket could not get memory for them", "receive buffer full and TCP memory over its limit (tcp_mem)"),
	E("TcpExtTCPWqueueTooBig", "sends refused because the write queue was too big", NULL),
	E("TcpExtTcpTimeoutRehash", "flow label rehashes after a retransmission timeout", NULL),
	E("TcpExtTcpDuplicateDataRehash", "flow label rehashes after receiving duplicate data", NULL),
	E("TcpExtTCPACKSkippedSynRecv", "ACKs not sent for SYN-RECV sockets because of rate limiting", NULL),
	E("TcpExtTCPACKSkippedChallenge", "challenge ACKs not sent because of rate limiting", NULL),
	E("TcpExtTCPMigrateReqSuccess", "requests migrated to another listener in a SO_REUSEPORT group", NULL),
	E("TcpExtTCPMigrateReqFailure", "requests that could not be migrated to another listener", NULL),
	{ NULL, NULL, NULL },
};

const char *const explain_prefixes[] = {
	"TcpExt", "Tcp", "Udp", "Ip", "IpExt", "Icmp", "IcmpMsg", "Ip6", "Udp6", "Icmp6",
	"UdpLite", "UdpLite6", "MPTcpExt", "Sctp", NULL,
};

/* The table stays grouped by protocol for its readers; lookups go through
 * an index sorted by name, made once (the exporter explains every counter
 * at every scrape: a linear search was 12% of its CPU). */
#define NCOUNTERS (sizeof(counters) / sizeof(counters[0]) - 1)
static const struct entry *by_name[NCOUNTERS];
static pthread_once_t by_name_once = PTHREAD_ONCE_INIT;

static int cmp_entry(const void *a, const void *b)
{
	return strcmp((*(const struct entry *const *)a)->name,
		      (*(const struct entry *const *)b)->name);
}

static void sort_by_name(void)
{
	for (size_t i = 0; i < NCOUNTERS; i++)
		by_name[i] = &counters[i];
	qsort(by_name, NCOUNTERS, sizeof(by_name[0]), cmp_entry);
}

static const struct entry *lookup(const char *name)
{
	const struct entry key = { .name = name }, *k = &key, *const *hit;

	pthread_once(&by_name_once, sort_by_name);
	hit = bsearch(&k, by_name, NCOUNTERS, sizeof(by_name[0]), cmp_entry);
	return hit ? *hit : NULL;
}

static const char *const icmp_types[] = {
	[0] = "echo reply", [3] = "destination unreachable", [4] = "source quench",
	[5] = "redirect", [8] = "echo request", [11] = "time exceeded",
	[12] = "parameter problem", [13] = "timestamp", [14] = "timestamp reply",
};
static const char *icmp6_type(unsigned t)
{
	switch (t) {
	case 1: return "destination unreachable";
	case 2: return "packet too big";
	case 3: return "time exceeded";
	case 4: return "parameter problem";
	case 128: return "echo request";
	case 129: return "echo reply";
	case 133: return "router solicitation";
	case 134: return "router advertisement";
	case 135: return "neighbor solicitation";
	case 136: return "neighbor advertisement";
	case 137: return "redirect";
	case 143: return "MLDv2 report";
	}
	return NULL;
}

/* IcmpMsgInType3, Icmp6OutType135 */
static int per_type(const char *name, struct explain *e, char *buf, size_t size)
{
	const char *rest, *dir, *what;
	bool v6 = false;
	unsigned type;
	char *end;

	if (strncmp(name, "IcmpMsg", 7) == 0)
		rest = name + 7;
	else if (strncmp(name, "Icmp6", 5) == 0)
		rest = name + 5, v6 = true;
	else
		return -ENOENT;
	if (strncmp(rest, "InType", 6) == 0)
		dir = "received";
	else if (strncmp(rest, "OutType", 7) == 0)
		dir = "sent";
	else
		return -ENOENT;
	rest += dir[0] == 'r' ? 6 : 7;
	if (*rest < '0' || *rest > '9')
		return -ENOENT;
	type = (unsigned)strtoul(rest, &end, 10);
	if (*end || type > 255)
		return -ENOENT;
	what = v6 ? icmp6_type(type)
		  : type < sizeof(icmp_types) / sizeof(icmp_types[0]) ? icmp_types[type] : NULL;
	snprintf(buf, size, "ICMP%s messages of type %u%s%s%s %s", v6 ? "v6" : "", type,
		 what ? " (" : "", what ? what : "", what ? ")" : "", dir);
	e->meaning = buf;
	e->cause = NULL;
	return 0;
}

/* IcmpInEchos, Icmp6OutNeighborSolicits: "ICMP <what> messages received". */
static int icmp_generic(const char *name, struct explain *e, char *buf, size_t size)
{
	if (strncmp(name, "Icmp", 4) != 0)
		return -ENOENT;
	bool v6 = name[4] == '6';
	const char *rest = name + (v6 ? 5 : 4);
	bool in = strncmp(rest, "In", 2) == 0;

	if (!in && strncmp(rest, "Out", 3) != 0)
		return -ENOENT;
	snprintf(buf, size, "ICMP%s %s messages %s", v6 ? "v6" : "", rest + (in ? 2 : 3),
		 in ? "received" : "sent");
	e->meaning = buf;
	e->cause = NULL;
	return 0;
}

int explain_counter(const char *name, struct explain *e, char *buf, size_t size)
{
	const struct entry *x = lookup(name);
	char alias[96];

	if (!x && strlen(name) < 80) {
		/* IPv6 and UDP-Lite variants share the IPv4 / UDP meanings */
		static const struct { const char *from, *to[2]; } map[] = {
			{ "UdpLite6", { "Udp", NULL } }, { "UdpLite", { "Udp", NULL } },
			{ "Udp6", { "Udp", NULL } },     { "Ip6", { "Ip", "IpExt" } },
			{ "Icmp6", { "Icmp", NULL } },
		};
		for (size_t i = 0; !x && i < sizeof(map) / sizeof(map[0]); i++) {
			size_t n = strlen(map[i].from);
			if (strncmp(name, map[i].from, n) != 0 || !(name[n] >= 'A' && name[n] <= 'Z'))
				continue;
			for (int j = 0; !x && j < 2 && map[i].to[j]; j++) {
				snprintf(alias, sizeof(alias), "%s%s", map[i].to[j], name + n);
				x = lookup(alias);
			}
			break;
		}
	}
	if (x) {
		e->meaning = x->meaning;
		e->cause = x->cause;
		return 0;
	}
	if (per_type(name, e, buf, size) == 0)
		return 0;
	return icmp_generic(name, e, buf, size);
}
