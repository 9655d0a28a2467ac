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

#endif
