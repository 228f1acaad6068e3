/*
 * page: the paging of every List call (PageRequest in, PageInfo out).
 *
 * Two ways to page, as common.proto says: a page token (keyset paging:
 * the token carries the last id returned, so pages stay stable while rows
 * are added) or a 1-based page number (offset paging, which the legacy
 * API needs). List statements take both: a cursor id ($cursor, 0 for
 * none) and an offset, and return one row more than the page size so
 * that the last page is known without a second query.
 */
#ifndef SERVER_PAGE_H
#define SERVER_PAGE_H

#include <stdint.h>

#include "call.h"

#define PAGE_DEFAULT_SIZE 50
#define PAGE_MAX_SIZE 500

typedef struct page_req {
	int size;       /* rows per page, 1..PAGE_MAX_SIZE */
	int page;       /* 1-based page number (1 with a token) */
	int64_t cursor; /* last id of the previous page; 0: none */
	int64_t offset; /* rows to skip after the cursor */
	char size_text[12], fetch_text[12], cursor_text[21], offset_text[21];
} page_req;

/* Reads p (may be NULL): 0, or INVALID_ARGUMENT on the call. */
int page_parse(
    srv_call *call, const Billing__V1__PageRequest *p, page_req *out);

/*
 * A list statement answers one row at least: the total matching rows in
 * column 0 and the page's rows from column 1 on (all NULL when the page
 * is empty), up to size + 1 of them. page_items allocates *items (an
 * array of message pointers) for the page's rows and returns how many
 * there are (0..size), or -1 with RESOURCE_EXHAUSTED set on the call.
 */
int page_items(srv_call *call, const page_req *req, const PGresult *res,
    size_t item_size, void **items);

/* The PageInfo of that page; last_id is the id of its last item. */
Billing__V1__PageInfo *page_info(
    srv_call *call, const page_req *req, const PGresult *res, int64_t last_id);

#endif /* SERVER_PAGE_H */
