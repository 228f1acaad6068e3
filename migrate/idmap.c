/*
 * idmap.c: see idmap.h.
 */
#include <stdlib.h>

#include "idmap.h"

#define PAGE_SIZE (UINT32_C(1) << IDMAP_PAGE_BITS)

int
idmap_init(idmap *m)
{
	m->count = 0;
	m->pages = calloc(IDMAP_PAGES, sizeof(*m->pages));
	return (m->pages != NULL ? 0 : -1);
}

void
idmap_fini(idmap *m)
{
	if (m->pages != NULL)
		for (uint32_t i = 0; i < IDMAP_PAGES; i++)
			free(m->pages[i]);
	free(m->pages);
	m->pages = NULL;
	m->count = 0;
}

int
idmap_set(idmap *m, uint32_t id, uint32_t v)
{
	uint32_t **page = &m->pages[id >> IDMAP_PAGE_BITS];

	if (*page == NULL &&
	    (*page = calloc(PAGE_SIZE, sizeof(**page))) == NULL)
		return (-1);
	if ((*page)[id & (PAGE_SIZE - 1)] == 0)
		m->count++;
	(*page)[id & (PAGE_SIZE - 1)] = v;
	return (0);
}

uint32_t
idmap_get(const idmap *m, uint32_t id)
{
	const uint32_t *page = m->pages[id >> IDMAP_PAGE_BITS];

	return (page != NULL ? page[id & (PAGE_SIZE - 1)] : 0);
}
