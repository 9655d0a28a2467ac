/* User-space addresses of live processes to "function+0xoff (module)",
 * with elfutils' libdwfl, for the tracers that print user stacks.
 *
 * A struct ustacks caches one libdwfl session per process (its mappings,
 * read from /proc/PID/maps, and the ELF files they name); a summary makes
 * one, symbolizes its stacks and frees it, so a later summary sees the
 * processes as they are then. The ELF files are opened through
 * /proc/PID/root, so processes in another mount namespace (containers)
 * resolve against their own files. A process that is gone, or whose
 * mappings cannot be read, resolves nothing: its addresses print as hex
 * and ustacks_known() says so.
 */
#ifndef NETLENS_TRACE_USTACK_H
#define NETLENS_TRACE_USTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ustacks;

/* NULL when out of memory. */
struct ustacks *ustacks_new(void);
/* Whether pid's mappings could be read (the process still runs). */
bool ustacks_known(struct ustacks *u, uint32_t pid);
/* Frame addr of a stack of pid: "func+0xoff (module)", "0xaddr (module)"
 * when no symbol covers it, "0xaddr" when no module does or pid is
 * unknown. ret: addr is a return address (every frame but the first), so
 * its call is looked up at addr - 1. Returns buf. */
const char *ustacks_str(struct ustacks *u, uint32_t pid, uint64_t addr, bool ret, char *buf,
			size_t cap);
void ustacks_free(struct ustacks *u);

#endif
