/* An intrusive doubly linked list in the order elements were appended (an
 * age or expiry order): append at the tail, unlink from anywhere, walk from
 * either end. The node lives in the element; DLIST_ENTRY() gives the
 * element back. Header-only. */
#ifndef NETLENS_BASE_DLIST_H
#define NETLENS_BASE_DLIST_H

#include <stddef.h>

struct dlist_node {
	struct dlist_node *prev, *next;
};

struct dlist {
	struct dlist_node *head, *tail; /* oldest, newest */
};

/* The element of type `type` whose member `member` is node (node not NULL). */
#define DLIST_ENTRY(node, type, member) ((type *)(void *)((char *)(node) - offsetof(type, member)))

static inline void dlist_append(struct dlist *l, struct dlist_node *n)
{
	n->next = NULL;
	n->prev = l->tail;
	if (l->tail)
		l->tail->next = n;
	else
		l->head = n;
	l->tail = n;
}

static inline void dlist_unlink(struct dlist *l, struct dlist_node *n)
{
	if (n->prev)
		n->prev->next = n->next;
	else
		l->head = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		l->tail = n->prev;
	n->next = n->prev = NULL;
}

#endif
