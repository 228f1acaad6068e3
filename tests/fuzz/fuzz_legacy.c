/*
 * fuzz_legacy: libFuzzer target of billing-migrate's data rules
 * (migrate/conv.c, migrate/legacy.c), which read every byte of the
 * legacy database.
 *
 * Input: a selector byte, then the value. selector % 8: 0 meta (PHP
 * serialize), 1 text, 2 DATETIME, 3 DECIMAL, 4 email, 5 country, 6 DATE,
 * 7 a whole row: the next byte picks the table, the rest is its columns
 * separated by '\t' ("\N" is NULL), converted twice in one context (the
 * second time its parents exist).
 *
 * Checks, beyond the sanitizers' (no crash, no leak, no UB): meta is a
 * JSON object jansson reads back; text is UTF-8 without NUL within its
 * bytes; a DATETIME converts back to its wall time unless it was in a
 * gap; money stays in the DECIMAL(10,2) range; a country is two capital
 * letters; a converted row is a well-formed binary COPY tuple.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../migrate/conv.h"
#include "../../migrate/legacy.h"
#include "../../rules/caltime.h"
#include "../../util/utf8.h"

static void
check_text(const conv_buf *b, size_t max)
{
	if (b->len > max || !utf8_valid(b->p, b->len) ||
	    strlen(b->p) != b->len)
		abort();
}

static void
fuzz_meta(const char *s, size_t n)
{
	conv_buf b;
	unsigned f = 0;
	json_t *j;

	conv_buf_init(&b);
	if (conv_meta(s, n, false, &b, &f) != CONV_NOMEM) {
		j = json_loads(b.p, 0, NULL);
		if (!json_is_object(j))
			abort();
		json_decref(j);
	}
	conv_buf_fini(&b);
}

static void
fuzz_datetime(const char *s, size_t n)
{
	bool null;
	int64_t us;
	unsigned f = 0;
	cal_wall w;

	if (conv_datetime(s, n, &null, &us, &f) != CONV_OK || null)
		return;
	cal_to_wall(us, &w);
	if (!(f & CONV_F_GAP) &&
	    (w.hour != (s[11] - '0') * 10 + (s[12] - '0') ||
	        w.day != (s[8] - '0') * 10 + (s[9] - '0')))
		abort();
}

/* Walks a binary COPY tuple of nfields fields: it must fill n exactly. */
static void
check_tuple(const tup *t, int nfields)
{
	const unsigned char *p = (const unsigned char *) t->b.p;
	size_t off = 2, n = t->b.len;

	if (n < 2 || (p[0] << 8 | p[1]) != nfields)
		abort();
	for (int i = 0; i < nfields; i++) {
		int32_t len;

		if (off + 4 > n)
			abort();
		len = (int32_t) ((uint32_t) p[off] << 24 |
		    (uint32_t) p[off + 1] << 16 | (uint32_t) p[off + 2] << 8 |
		    p[off + 3]);
		off += 4;
		if (len > 0)
			off += (size_t) len;
		if (off > n)
			abort();
	}
	if (off != n)
		abort();
}

static void
fuzz_row(const char *s, size_t n)
{
	leg_table t;
	char *copy, *v[LEG_MAX_COLS], *p;
	unsigned long lens[LEG_MAX_COLS];
	int ncols = 0;
	leg_ctx c;
	leg_result r;
	tup out;

	if (n < 1)
		return;
	t = (leg_table) ((unsigned char) s[0] % LEG_NTABLES);
	while (ncols < LEG_MAX_COLS && leg_tables[t].cols[ncols] != NULL)
		ncols++;
	if ((copy = malloc(n)) == NULL)
		return;
	memcpy(copy, s + 1, n - 1);
	copy[n - 1] = '\0';
	p = copy;
	for (int i = 0; i < ncols; i++) {
		char *tab =
		    p ? memchr(p, '\t', (size_t) (copy + n - 1 - p)) : NULL;
		size_t len = p ? (size_t) ((tab ? tab : copy + n - 1) - p) : 0;

		if (p != NULL && len == 2 && p[0] == '\\' && p[1] == 'N')
			v[i] = NULL, lens[i] = 0;
		else
			v[i] = p ? p : "", lens[i] = (unsigned long) len;
		if (tab != NULL)
			*tab = '\0';
		p = tab ? tab + 1 : NULL;
	}
	if (leg_ctx_init(&c) == 0) {
		tup_init(&out);
		/* Parents: every id the row may refer to, as migrated. */
		for (uint32_t id = 1; id < 4; id++) {
			idmap_set(&c.users, id, 1);
			idmap_set(&c.plans, id, 1);
			idmap_set(&c.subs, id, 1);
			idmap_set(&c.invoices, id, 1);
		}
		for (int k = 0; k < 2; k++)
			if (leg_convert(&c, t, v, lens, &out, &r) == 0 &&
			    r.quarantine == LEG_OK)
				check_tuple(&out, leg_tables[t].nfields);
		free(leg_raw_row(t, v, lens));
		tup_fini(&out);
		leg_ctx_fini(&c);
	}
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int zone;
	const char *s = (const char *) data + 1;
	size_t n = size - 1;
	conv_buf a, b;
	unsigned f = 0;
	int64_t m;
	int32_t d;
	bool null;
	char c[3];

	if (!zone)
		zone = conv_set_zone("Europe/Berlin") == 0 ? 1 : -1;
	if (size < 1 || size > 1 << 16)
		return (0);
	conv_buf_init(&a);
	conv_buf_init(&b);
	switch (data[0] % 8) {
	case 0:
		fuzz_meta(s, n);
		break;
	case 1:
		if (conv_text(s, n, 255, &a, &f) == CONV_OK)
			check_text(&a, 255);
		break;
	case 2:
		fuzz_datetime(s, n);
		break;
	case 3:
		if (conv_decimal(s, n, 2, &m) == CONV_OK &&
		    (m > INT64_C(9999999999) || m < -INT64_C(9999999999)))
			abort();
		break;
	case 4:
		if (conv_email(s, n, &a, &b, &f) == CONV_OK) {
			check_text(&a, 190);
			if (a.len != b.len)
				abort();
		}
		break;
	case 5:
		if (conv_country(s, n, &null, c, &f) == CONV_OK && !null &&
		    (c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z'))
			abort();
		break;
	case 6:
		conv_date(s, n, &null, &d, &f);
		break;
	default:
		fuzz_row(s, n);
		break;
	}
	conv_buf_fini(&a);
	conv_buf_fini(&b);
	return (0);
}
