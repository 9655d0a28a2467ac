/* sofdsnoop: one event per file descriptor passed over a UNIX socket
 * (SCM_RIGHTS), on the sending and on the receiving side. */
#ifndef NETLENS_BPF_SOFDSNOOP_H
#define NETLENS_BPF_SOFDSNOOP_H

#include "bpf/netlens.h"

#define SOFD_MAX_FDS   8   /* descriptors described per message */
#define SOFD_MAX_CMSGS 4   /* control messages walked per message */
#define SOFD_NAME_LEN  64  /* the dentry's name, truncated */
#define SOFD_SA_LEN    112 /* sizeof(struct sockaddr_un), rounded up */

enum { SOFD_SEND = 0, SOFD_RECV = 1 };

/* What a descriptor is, read from the file table of the task that has it. */
struct sofd_desc {
	__u64 file;     /* struct file address: the same on both ends */
	__u64 ino;      /* inode number */
	__s32 fd;       /* the descriptor number on this side */
	__u16 mode;     /* i_mode: file type and permissions (0: fd not open) */
	__u16 family;   /* a socket's family, 0 otherwise */
	__u16 sotype;   /* a socket's type (SOCK_STREAM...) */
	__u16 protocol; /* a socket's protocol */
	__u16 salen;    /* UNIX socket: bytes of sa (0: unnamed) */
	__u8 sa_peer;   /* sa is the peer's name (the socket itself is unnamed) */
	__u8 _pad;
	struct tr_tuple t;         /* inet socket: local and remote ends */
	__u8 sa[SOFD_SA_LEN];      /* UNIX socket: struct sockaddr_un */
	char name[SOFD_NAME_LEN];  /* the dentry's name: last path component */
};

struct sofdsnoop_event {
	struct tr_hdr h;  /* netns, cgroup: the UNIX socket's */
	__s32 sockfd;     /* the UNIX socket the message went through */
	__u8 dir;         /* SOFD_SEND or SOFD_RECV */
	__u8 nfds;        /* descriptors described for this message */
	__u16 more;       /* descriptors of the message not described */
	struct sofd_desc d;
};

#endif
