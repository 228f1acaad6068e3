/*
 * page.c: see page.h. A token is "id." followed by the last id in
 * decimal; clients treat it as opaque.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "page.h"

#define TOKEN_PREFIX "id."

static int
parse_token(const char *t, int64_t *out)
{
	char *end;
	long long v;

	if (strncmp(t, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) != 0)
		return (-1);
	t += strlen(TOKEN_PREFIX);
	if (*t < '0' || *t > '9' || strlen(t) > 19)
		return (-1);
	v = strtoll(t, &end, 10);
	if (*end != '\0' || v < 1)
		return (-1);
	*out = v;
	return (0);
}

int
page_parse(srv_call *call, const Billing__V1__PageRequest *p, page_req *out)
{
	memset(out, 0, sizeof(*out));
	out->size = PAGE_DEFAULT_SIZE;
	out->page = 1;
	if (p != NULL) {
		if (p->has_page_size && p->page_size < 0)
			return (call_invalid(
			    call, "page.page_size", "must not be negative"));
		if (p->has_page_size && p->page_size > 0)
			out->size = p->page_size > PAGE_MAX_SIZE
			    ? PAGE_MAX_SIZE
			    : p->page_size;
		if (p->has_page && p->page < 0)
			return (call_invalid(
			    call, "page.page", "must be 1 or more"));
		if (p->has_page && p->page > 0)
			out->page = p->page;
		if (p->page_token != NULL && p->page_token[0] != '\0') {
			if (out->page > 1)
				return (call_invalid(call, "page.page",
				    "give a page number or a page token, "
				    "not both"));
			if (parse_token(p->page_token, &out->cursor) != 0)
				return (call_invalid(call, "page.page_token",
				    "not a token returned by this API"));
		}
	}
	out->offset = (int64_t) (out->page - 1) * out->size;
	snprintf(out->size_text, sizeof(out->size_text), "%d", out->size);
	snprintf(
	    out->fetch_text, sizeof(out->fetch_text), "%d", out->size + 1);
	snprintf(out->cursor_text, sizeof(out->cursor_text), "%" PRId64,
	    out->cursor);
	snprintf(out->offset_text, sizeof(out->offset_text), "%" PRId64,
	    out->offset);
	return (0);
}

/* Rows the statement returned for the page (the extra one included). */
static int
returned(const PGresult *res)
{
	return (call_isnull(res, 0, 1) ? 0 : PQntuples(res));
}

int
page_items(srv_call *call, const page_req *req, const PGresult *res,
    size_t item_size, void **items)
{
	int n = returned(res);

	if (n > req->size)
		n = req->size;
	if ((*items = call_alloc(call, (size_t) (n + 1) * item_size)) == NULL)
		return (call_oom(call), -1);
	return (n);
}

Billing__V1__PageInfo *
page_info(
    srv_call *call, const page_req *req, const PGresult *res, int64_t last_id)
{
	Billing__V1__PageInfo *pi =
	    call_new(call, billing__v1__page_info, Billing__V1__PageInfo);
	char tok[32];

	if (pi == NULL)
		return (NULL);
	pi->has_total_size = 1;
	pi->total_size = call_int64(res, 0, 0);
	pi->has_page_size = 1;
	pi->page_size = req->size;
	pi->has_page = 1;
	pi->page = req->page;
	if (returned(res) > req->size) {
		snprintf(tok, sizeof(tok), TOKEN_PREFIX "%" PRId64, last_id);
		pi->next_page_token = call_strdup(call, tok);
	}
	return (pi);
}
