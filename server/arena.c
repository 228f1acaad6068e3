/*
 * arena.c: see arena.h.
 */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define CHUNK_BYTES ((size_t) 64 * 1024)
#define ALIGN alignof(max_align_t)

struct arena_chunk {
	arena_chunk *next;
	size_t size;
	alignas(max_align_t) unsigned char data[];
};

static void *
pb_alloc(void *data, size_t size)
{
	return (arena_alloc(data, size));
}

static void
pb_free(void *data, void *p)
{
	/* Freed with the arena. */
	(void) data;
	(void) p;
}

void
arena_init(arena *a, size_t limit)
{
	memset(a, 0, sizeof(*a));
	a->limit = limit;
	a->pb.alloc = pb_alloc;
	a->pb.free = pb_free;
	a->pb.allocator_data = a;
}

static void
free_chunks(arena_chunk *c)
{
	while (c != NULL) {
		arena_chunk *next = c->next;

		free(c);
		c = next;
	}
}

void
arena_fini(arena *a)
{
	free_chunks(a->head);
	a->head = NULL;
}

void
arena_reset(arena *a)
{
	arena_chunk *keep = a->head;

	/* Keep the oldest (first) chunk: it is usually the only one. */
	if (keep != NULL) {
		arena_chunk *prev = NULL;

		while (keep->next != NULL) {
			prev = keep;
			keep = keep->next;
		}
		if (prev != NULL) {
			prev->next = NULL;
			free_chunks(a->head);
		}
		if (keep->size != CHUNK_BYTES) {
			free(keep);
			keep = NULL;
		}
	}
	a->head = keep;
	a->used = 0;
	a->total = 0;
}

void *
arena_alloc(arena *a, size_t size)
{
	size_t need = (size + ALIGN - 1) & ~(ALIGN - 1);
	void *p;

	if (need < size || (a->limit > 0 && a->total + need > a->limit))
		return (NULL);
	if (a->head == NULL || a->used + need > a->head->size) {
		size_t csize = need > CHUNK_BYTES ? need : CHUNK_BYTES;
		arena_chunk *c = malloc(sizeof(*c) + csize);

		if (c == NULL)
			return (NULL);
		c->size = csize;
		c->next = a->head;
		a->head = c;
		a->used = 0;
	}
	p = a->head->data + a->used;
	a->used += need;
	a->total += need;
	memset(p, 0, size);
	return (p);
}

char *
arena_strndup(arena *a, const char *s, size_t len)
{
	char *p = arena_alloc(a, len + 1);

	if (p != NULL) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return (p);
}
