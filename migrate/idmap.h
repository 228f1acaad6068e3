/*
 * idmap: legacy ids (uint32) to a uint32 value (0 = absent), in pages of
 * 4096 entries allocated as ids are set: about 4 bytes per id of the
 * used range, so migrating a table costs memory by its id range, never
 * by its bytes. The directory of pages grows to the highest page used.
 */
#ifndef MIGRATE_IDMAP_H
#define MIGRATE_IDMAP_H

#include <stddef.h>
#include <stdint.h>

#define IDMAP_PAGE_BITS 12

typedef struct idmap {
	uint32_t **pages; /* npages slots, each allocated on first set */
	size_t npages;
	uint64_t count;
} idmap;

int idmap_init(idmap *m);
void idmap_fini(idmap *m);
/* Sets id's value (v != 0). Returns 0, or -1 when out of memory. */
int idmap_set(idmap *m, uint32_t id, uint32_t v);
/* id's value, 0 when never set. */
uint32_t idmap_get(const idmap *m, uint32_t id);

#endif /* MIGRATE_IDMAP_H */
