/* Kernel differences the BPF programs read around, one helper per change,
 * each naming the kernel commit that made it (model: bcc's
 * libbpf-tools/core_fixes.bpf.h). The checks are CO-RE relocations
 * (bpf_core_field_exists(), bpf_core_type_exists()): libbpf resolves them
 * against the running kernel's BTF at load, to constants, and the verifier
 * never walks the branch not taken; so a variant may read what the other
 * kernel does not have. Include after bpf/netlens.bpf.h.
 *
 * User space has its own probes: src/trace/features.h.
 */
#ifndef NETLENS_BPF_CORE_FIXES_H
#define NETLENS_BPF_CORE_FIXES_H

/* skb:kfree_skb's fourth argument, rx_sk (the socket that received the
 * packet, when the skb has none), exists since 6.11: commit c53795d48ee8
 * ("net: add rx_sk to trace_kfree_skb"), which added the field of the same
 * name to the tracepoint's record. Before it, a program must not read
 * that argument at all: raw_tp attach refuses a program that reads past a
 * tracepoint's arguments, and tp_btf load checks the reads against the
 * prototype. So the pair declares the three older arguments (BPF_PROG)
 * and takes rx_sk from ctx through this. */
static __always_inline bool tr_kfree_skb_has_rx_sk(void)
{
	return bpf_core_field_exists(struct trace_event_raw_kfree_skb, rx_sk);
}

static __always_inline struct sock *tr_kfree_skb_rx_sk(unsigned long long *ctx)
{
	return tr_kfree_skb_has_rx_sk() ? (struct sock *)ctx[3] : NULL;
}

#endif
