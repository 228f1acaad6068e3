/*
 * tuple.c: see tuple.h.
 */
#include <string.h>

#include "tuple.h"

const char tup_header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
const char tup_trailer[2] = "\377\377";

/* PostgreSQL's epoch, 2000-01-01, from the Unix epoch. */
#define PG_EPOCH_DAYS 10957
#define PG_EPOCH_US (INT64_C(10957) * 86400 * 1000000)

void
tup_init(tup *t)
{
	conv_buf_init(&t->b);
	t->err = 0;
}

void
tup_fini(tup *t)
{
	conv_buf_fini(&t->b);
}

static void
put(tup *t, const void *p, size_t n)
{
	if (conv_buf_put(&t->b, p, n) != CONV_OK)
		t->err = CONV_NOMEM;
}

static void
be(tup *t, uint64_t v, int bytes)
{
	unsigned char b[8];

	for (int i = 0; i < bytes; i++)
		b[i] = (unsigned char) (v >> (8 * (bytes - 1 - i)));
	put(t, b, (size_t) bytes);
}

void
tup_begin(tup *t, int nfields)
{
	t->b.len = 0;
	be(t, (uint16_t) nfields, 2);
}

void
tup_null(tup *t)
{
	be(t, UINT32_MAX, 4);
}

void
tup_int2(tup *t, int16_t v)
{
	be(t, 2, 4);
	be(t, (uint16_t) v, 2);
}

void
tup_int4(tup *t, int32_t v)
{
	be(t, 4, 4);
	be(t, (uint32_t) v, 4);
}

void
tup_int8(tup *t, int64_t v)
{
	be(t, 8, 4);
	be(t, (uint64_t) v, 8);
}

void
tup_bool(tup *t, bool v)
{
	be(t, 1, 4);
	be(t, v ? 1 : 0, 1);
}

void
tup_text(tup *t, const char *s, size_t n)
{
	be(t, (uint32_t) n, 4);
	put(t, s, n);
}

void
tup_ts(tup *t, int64_t us)
{
	tup_int8(t, us - PG_EPOCH_US);
}

void
tup_date(tup *t, int32_t days)
{
	tup_int4(t, days - PG_EPOCH_DAYS);
}

void
tup_jsonb(tup *t, const char *s, size_t n)
{
	be(t, (uint32_t) n + 1, 4);
	be(t, 1, 1); /* jsonb's binary format version */
	put(t, s, n);
}

/* FNV-1a over 8-byte words, then a final avalanche (splitmix64). */
uint64_t
tup_hash(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *s = p;
	uint64_t h = 1469598103934665603ULL ^ seed ^ n;
	uint64_t w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 1099511628211ULL;
		h ^= h >> 29;
	}
	for (; n > 0; s++, n--)
		h = (h ^ *s) * 1099511628211ULL;
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return (h);
}
