/*
 * output.c: see output.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "billctl.h"
#include "output.h"
#include "pbjson.h"

struct out_table {
	size_t ncols;
	bool header;
	char **cells; /* row-major, the header row first when present */
	size_t nrows;
	size_t cap; /* rows allocated */
};

/*
 * The length of the valid UTF-8 sequence at s (n bytes left), or 0 when
 * s does not start one. Control characters (C0, DEL and C1) count as
 * invalid here: they are what must not reach the terminal.
 */
static size_t
seq_len(const unsigned char *s, size_t n)
{
	size_t k;
	uint32_t cp;

	if (s[0] < 0x80)
		return (s[0] >= 0x20 && s[0] != 0x7F ? 1 : 0);
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		k = 1;
		cp = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		k = 2;
		cp = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		k = 3;
		cp = s[0] & 0x07;
	} else
		return (0);
	if (n < k + 1)
		return (0);
	for (size_t j = 1; j <= k; j++) {
		if ((s[j] & 0xC0) != 0x80)
			return (0);
		cp = (cp << 6) | (s[j] & 0x3F);
	}
	if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
	    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF ||
	    (cp >= 0x80 && cp <= 0x9F))
		return (0);
	return (k + 1);
}

/* A printable copy of s; its width (characters) in *width. */
static char *
clean_dup(const char *s, size_t *width)
{
	size_t n = strlen(s), o = 0, w = 0;
	char *d = malloc(n + 1);

	if (d == NULL)
		return (NULL);
	for (size_t i = 0; i < n;) {
		size_t k = seq_len((const unsigned char *) s + i, n - i);

		if (k == 0) {
			d[o++] = '?';
			i++;
		} else {
			memcpy(d + o, s + i, k);
			o += k;
			i += k;
		}
		w++;
	}
	d[o] = '\0';
	if (width != NULL)
		*width = w;
	return (d);
}

void
out_clean(FILE *fp, const char *s)
{
	char *c = clean_dup(s, NULL);

	fputs(c != NULL ? c : "?", fp);
	free(c);
}

out_table *
out_table_new(size_t ncols, const char *const *headers)
{
	out_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return (NULL);
	t->ncols = ncols;
	if (headers != NULL) {
		if (out_table_add(t, headers) != 0) {
			out_table_free(t);
			return (NULL);
		}
		t->header = true;
	}
	return (t);
}

int
out_table_add(out_table *t, const char *const *cells)
{
	char **row;

	if (t->nrows == t->cap) {
		size_t cap = t->cap == 0 ? 16 : t->cap * 2;
		char **c = realloc(t->cells, cap * t->ncols * sizeof(*c));

		if (c == NULL)
			return (ENOMEM);
		t->cells = c;
		t->cap = cap;
	}
	row = t->cells + t->nrows * t->ncols;
	for (size_t i = 0; i < t->ncols; i++) {
		row[i] = clean_dup(cells[i] != NULL ? cells[i] : "-", NULL);
		if (row[i] == NULL) {
			while (i-- > 0)
				free(row[i]);
			return (ENOMEM);
		}
	}
	t->nrows++;
	return (0);
}

/* Characters (not bytes) in a cleaned cell. */
static size_t
width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		w += ((unsigned char) *s & 0xC0) != 0x80;
	return (w);
}

int
out_table_print(const out_table *t, FILE *fp)
{
	return (out_table_print_indent(t, fp, 0));
}

int
out_table_print_indent(const out_table *t, FILE *fp, int indent)
{
	size_t *w = calloc(t->ncols, sizeof(*w));

	if (w == NULL)
		return (-1);
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			size_t n = width(t->cells[r * t->ncols + c]);

			if (n > w[c])
				w[c] = n;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		fprintf(fp, "%*s", indent, "");
		for (size_t c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];

			fputs(cell, fp);
			/* No padding after the last column. */
			if (c + 1 < t->ncols)
				fprintf(fp, "%*s",
				    (int) (w[c] - width(cell) + 2), "");
		}
		fputc('\n', fp);
	}
	free(w);
	return (ferror(fp) ? -1 : 0);
}

int
out_pairs(FILE *fp, const char *const (*rows)[2], size_t n, int indent)
{
	out_table *t = out_table_new(2, NULL);
	int rv = BCTL_EXIT_RPC;

	if (t == NULL)
		return (rv);
	for (size_t i = 0; i < n; i++)
		if (out_table_add(t, rows[i]) != 0)
			goto out;
	if (out_table_print_indent(t, fp, indent) == 0)
		rv = BCTL_EXIT_OK;
out:
	out_table_free(t);
	return (rv);
}

void
out_table_free(out_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

int
out_json(FILE *fp, const ProtobufCMessage *m)
{
	char err[256], *text;

	if (pbjson_format(m, true, &text, err, sizeof(err)) != 0) {
		fprintf(stderr, "error: cannot print the response: %s\n", err);
		return (BCTL_EXIT_RPC);
	}
	fprintf(fp, "%s\n", text);
	free(text);
	return (BCTL_EXIT_OK);
}

void
out_page(FILE *fp, const Billing__V1__PageInfo *pi, size_t rows)
{
	if (pi == NULL || !pi->has_total_size)
		fprintf(fp, "%zu shown\n", rows);
	else
		fprintf(fp, "%zu shown, %lld in all\n", rows,
		    (long long) pi->total_size);
	if (pi != NULL && pi->next_page_token != NULL &&
	    pi->next_page_token[0] != '\0') {
		fputs("next page: --page-token ", fp);
		out_clean(fp, pi->next_page_token);
		fputc('\n', fp);
	}
}

int
out_list(FILE *fp, const char *const *headers, size_t ncols,
    const ProtobufCMessage *resp, size_t n, const Billing__V1__PageInfo *page,
    out_row_fn row)
{
	char buf[OUT_LIST_MAX_COLS][OUT_CELL_BYTES];
	const char *cells[OUT_LIST_MAX_COLS];
	out_table *t;
	int rv = BCTL_EXIT_RPC;

	if (ncols > OUT_LIST_MAX_COLS ||
	    (t = out_table_new(ncols, headers)) == NULL)
		return (rv);
	for (size_t i = 0; i < n; i++) {
		row(resp, i, cells, buf);
		if (out_table_add(t, cells) != 0)
			goto out;
	}
	if (out_table_print(t, fp) == 0) {
		out_page(fp, page, n);
		rv = BCTL_EXIT_OK;
	}
out:
	out_table_free(t);
	return (rv);
}

const char *
out_str(const char *s)
{
	return (s != NULL && s[0] != '\0' ? s : "-");
}

const char *
out_int(char buf[24], bool has, int64_t v)
{
	if (!has)
		return ("-");
	snprintf(buf, 24, "%lld", (long long) v);
	return (buf);
}

const char *
out_time(char buf[TIMEFMT_BUFSZ], bool has, int64_t us)
{
	if (!has)
		return ("-");
	timefmt_iso(us, buf, TIMEFMT_BUFSZ);
	return (buf);
}

const char *
out_money(char buf[MONEY_BUFSZ], bool has, int64_t minor, const char *currency)
{
	if (!has)
		return ("-");
	money_format(minor, currency, buf, MONEY_BUFSZ);
	return (buf);
}

const char *
out_bool(bool has, bool v)
{
	return (!has ? "-" : v ? "yes" : "no");
}

const char *
out_enum(char *buf, size_t cap, bool has, const ProtobufCEnumDescriptor *ed,
    int value)
{
	const ProtobufCEnumValue *ev;
	size_t i;
	const char *s;

	if (!has)
		return ("-");
	if ((ev = protobuf_c_enum_descriptor_get_value(ed, value)) == NULL) {
		snprintf(buf, cap, "%d", value);
		return (buf);
	}
	s = pbjson_enum_short(ed, ev->name);
	for (i = 0; s[i] != '\0' && i + 1 < cap; i++)
		buf[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char) (s[i] - 'A' + 'a')
		                                    : s[i];
	buf[i] = '\0';
	return (buf);
}
