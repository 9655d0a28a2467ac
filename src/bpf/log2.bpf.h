/* A histogram slot: log2 of v in six steps (tr_log2 in netlens.bpf.h loops
 * once per bit, ~60 instructions for a lifetime in nanoseconds), clamped to
 * the last of nslots. For the per-packet hooks. */
#ifndef NETLENS_BPF_LOG2_H
#define NETLENS_BPF_LOG2_H

static __always_inline __u32 tr_log2_slot(__u64 v, __u32 nslots)
{
	__u32 r = 0, s;

	s = (v > 0xffffffffULL) << 5; v >>= s; r |= s;
	s = (v > 0xffff) << 4;        v >>= s; r |= s;
	s = (v > 0xff) << 3;          v >>= s; r |= s;
	s = (v > 0xf) << 2;           v >>= s; r |= s;
	s = (v > 0x3) << 1;           v >>= s; r |= s;
	r |= (__u32)(v >> 1);
	return r < nslots ? r : nslots - 1;
}

/* tr_log2_slot(ns / 1000, nslots), a slot of microseconds, without the
 * 64-bit division. With L = log2(ns), 2^L <= ns < 2^(L+1), and 1000 is
 * between 2^9 and 2^10, so log2(ns / 1000) is L - 9 when 1000 << (L - 9)
 * <= ns, else L - 10. Below 2000 ns (L < 10) it is slot 0, as 0 and 1 us
 * are. tests/unit/test_log2.c checks it against the division. */
static __always_inline __u32 tr_log2_us_slot(__u64 ns, __u32 nslots)
{
	__u32 l, r;

	if (ns < 2000)
		return 0;
	l = tr_log2_slot(ns, 64);
	r = ns >= (1000ULL << (l - 9)) ? l - 9 : l - 10;
	return r < nslots ? r : nslots - 1;
}

#endif
