/*
 * arena: a bump allocator for the memory of one call.
 *
 * A worker decodes the request into its arena, the handler builds the
 * response there, the dispatcher packs it, and arena_reset() frees all of
 * it at once. Nothing of a call outlives the call, so nothing leaks when
 * a handler returns early. Not thread-safe: one arena per worker.
 */
#ifndef SERVER_ARENA_H
#define SERVER_ARENA_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

typedef struct arena_chunk arena_chunk;

typedef struct arena {
	arena_chunk *head;     /* current chunk; older ones follow */
	size_t used;           /* bytes used in head */
	size_t total;          /* bytes handed out since the last reset */
	size_t limit;          /* at most this many bytes between resets */
	ProtobufCAllocator pb; /* protobuf-c's view of this arena */
} arena;

/* limit bounds what one call may allocate (0: no bound). */
void arena_init(arena *a, size_t limit);
void arena_fini(arena *a);

/* Frees everything but the first chunk, which is kept for reuse. */
void arena_reset(arena *a);

/*
 * Returns size bytes aligned for any type, zeroed, or NULL when the
 * limit is reached or memory is out.
 */
void *arena_alloc(arena *a, size_t size);

/* A copy of s[0..len) with a NUL after it, or NULL. */
char *arena_strndup(arena *a, const char *s, size_t len);

#endif /* SERVER_ARENA_H */
