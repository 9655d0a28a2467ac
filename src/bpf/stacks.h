/* stacks: kernel stacks counted at tracepoints named at run time. */
#ifndef NETLENS_BPF_STACKS_H
#define NETLENS_BPF_STACKS_H

#include "bpf/netlens.h"

#define STACKS_DEPTH 64   /* frames kept per stack (bpf_get_stackid's limit is 127) */
#define STACKS_MAX_TP 8   /* tracepoints per run: one program each */

/* counts: (tracepoint, stack) -> hits */
struct stacks_key {
	__u32 tp;       /* index of the tracepoint on the command line */
	__s32 stackid;  /* id in the stacks map */
};

#endif
