/*
 * idmap.c: see idmap.h.
 */
#include <stdlib.h>
#include <string.h>

#include "idmap.h"

#define PAGE_SIZE (UINT32_C(1) << IDMAP_PAGE_BITS)

int
idmap_init(idmap *m)
{
	m->pages = NULL;
	m->npages = 0;
	m->count = 0;
	return (0);
}

void
idmap_fini(idmap *m)
{
	for (size_t i = 0; i < m->npages; i++)
		free(m->pages[i]);
	free(m->pages);
	idmap_init(m);
}

/* The directory covers page p (doubling, at least 64 slots). */
static int
grow(idmap *m, size_t p)
{
	size_t n = m->npages ? m->npages : 64;
	uint32_t **pages;

	while (n <= p)
		n *= 2;
	if ((pages = realloc(m->pages, n * sizeof(*pages))) == NULL)
		return (-1);
	memset(pages + m->npages, 0, (n - m->npages) * sizeof(*pages));
	m->pages = pages;
	m->npages = n;
	return (0);
}

int
idmap_set(idmap *m, uint32_t id, uint32_t v)
{
	size_t p = id >> IDMAP_PAGE_BITS;
	uint32_t *slot;

	if (p >= m->npages && grow(m, p) != 0)
		return (-1);
	if (m->pages[p] == NULL &&
	    (m->pages[p] = calloc(PAGE_SIZE, sizeof(uint32_t))) == NULL)
		return (-1);
	slot = &m->pages[p][id & (PAGE_SIZE - 1)];
	if (*slot == 0)
		m->count++;
	*slot = v;
	return (0);
}

uint32_t
idmap_get(const idmap *m, uint32_t id)
{
	size_t p = id >> IDMAP_PAGE_BITS;

	return (p < m->npages && m->pages[p] != NULL
	        ? m->pages[p][id & (PAGE_SIZE - 1)]
	        : 0);
}
