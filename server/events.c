/*
 * events.c: recording events (see events.h); the Events service.
 */
#include "events.h"
#include "page.h"

#define EVENT_COLS                                                      \
	"id, type, object_type, object_id, customer_id, before_status," \
	" after_status, request_id, billing_us(created_at), data::text"

/*
 * Oldest first. $1 object_type, $2 object_id, $3 customer_id, $4 since,
 * $5 until (NULL: no filter), $6 cursor, $7 limit, $8 offset.
 */
#define EVENT_FILTER                                        \
	" (object_type = $1 OR $1 IS NULL)"                 \
	" AND (object_id = $2 OR $2 IS NULL)"               \
	" AND (customer_id = $3 OR $3 IS NULL)"             \
	" AND (created_at >= billing_ts($4) OR $4 IS NULL)" \
	" AND (created_at < billing_ts($5) OR $5 IS NULL)"

static const db_stmt LIST = { "events_list",
	"SELECT t.total, e.* FROM"
	" (SELECT count(*) AS total FROM events WHERE" EVENT_FILTER ") t"
	" LEFT JOIN LATERAL"
	" (SELECT " EVENT_COLS " FROM events WHERE" EVENT_FILTER
	"   AND id > $6 ORDER BY id LIMIT $7 OFFSET $8) e ON true" };

static const db_stmt INSERT_EVENT = { "events_insert",
	"INSERT INTO events (customer_id, type, object_type, object_id,"
	" before_status, after_status, request_id, created_at, data)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, billing_ts($8),"
	" coalesce($9::jsonb, '{}'))" };

int
events_record(srv_call *call, const char *type, const char *object_type,
    int64_t object_id, int64_t customer_id, const char *before,
    const char *after, const char *data_json)
{
	char cid[21], oid[21], now[21];
	const char *p[9] = { customer_id > 0 ? call_fmt_int64(cid, customer_id)
		                             : NULL,
		type, object_type, call_fmt_int64(oid, object_id), before,
		after, call->request_id, call_fmt_int64(now, call->now_us),
		data_json };
	PGresult *res;

	return (call_query(call, &INSERT_EVENT, 9, p, &res));
}

static const db_stmt INSERT_BATCH = {
	"events_insert_batch",
	"INSERT INTO events (customer_id, type, object_type, object_id,"
	" before_status, after_status, request_id, created_at, data)"
	" SELECT u.c, u.t, u.ot, u.oid, u.b, u.a, $8, billing_ts($9),"
	"   coalesce(u.d::jsonb, '{}')"
	" FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[],"
	"   $5::text[], $6::text[], $7::text[]) AS u(c, t, ot, oid, b, a, d)"
};

void
events_batch_init(events_batch *b, srv_call *call)
{
	pgarray_init(&b->customer_id, call->arena);
	pgarray_init(&b->type, call->arena);
	pgarray_init(&b->object_type, call->arena);
	pgarray_init(&b->object_id, call->arena);
	pgarray_init(&b->before, call->arena);
	pgarray_init(&b->after, call->arena);
	pgarray_init(&b->data, call->arena);
	b->n = 0;
}

void
events_batch_add(events_batch *b, const char *type, const char *object_type,
    int64_t object_id, int64_t customer_id, const char *before,
    const char *after, const char *data_json)
{
	if (customer_id > 0)
		pgarray_int64(&b->customer_id, customer_id);
	else
		pgarray_null(&b->customer_id);
	pgarray_str(&b->type, type);
	pgarray_str(&b->object_type, object_type);
	pgarray_int64(&b->object_id, object_id);
	pgarray_str(&b->before, before);
	pgarray_str(&b->after, after);
	pgarray_str(&b->data, data_json);
	b->n++;
}

int
events_batch_flush(srv_call *call, events_batch *b)
{
	char now[21];
	const char *p[9] = { pgarray_text(&b->customer_id),
		pgarray_text(&b->type), pgarray_text(&b->object_type),
		pgarray_text(&b->object_id), pgarray_text(&b->before),
		pgarray_text(&b->after), pgarray_text(&b->data),
		call->request_id, call_fmt_int64(now, call->now_us) };
	PGresult *res;

	if (b->n == 0)
		return (0);
	for (int i = 0; i < 7; i++)
		if (p[i] == NULL)
			return (call_oom(call));
	return (call_query(call, &INSERT_BATCH, 9, p, &res));
}

static Billing__V1__Event *
from_row(srv_call *call, const PGresult *res, int row, int c)
{
	Billing__V1__Event *m =
	    call_new(call, billing__v1__event, Billing__V1__Event);

	if (m == NULL)
		return (NULL);
	m->has_id = 1;
	m->id = call_int64(res, row, c + 0);
	m->type = (char *) call_text(res, row, c + 1);
	m->object_type = (char *) call_text(res, row, c + 2);
	m->has_object_id = 1;
	m->object_id = call_int64(res, row, c + 3);
	if ((m->has_customer_id = !call_isnull(res, row, c + 4)))
		m->customer_id = call_int64(res, row, c + 4);
	m->before_status = (char *) call_text(res, row, c + 5);
	m->after_status = (char *) call_text(res, row, c + 6);
	m->request_id = (char *) call_text(res, row, c + 7);
	m->has_created_at_us = 1;
	m->created_at_us = call_int64(res, row, c + 8);
	m->data_json = (char *) call_text(res, row, c + 9);
	return (m);
}

static int
events_list(srv_call *call, const Billing__V1__ListEventsRequest *req,
    Billing__V1__ListEventsResponse **out)
{
	Billing__V1__ListEventsResponse *r;
	char oid[21], cid[21], since[21], until[21];
	page_req pg;
	PGresult *res;
	int rv, n;

	if ((rv = page_parse(call, req->page, &pg)) != 0)
		return (rv);
	const char *p[8] = { req->object_type != NULL &&
		        req->object_type[0] != '\0'
		    ? req->object_type
		    : NULL,
		req->has_object_id ? call_fmt_int64(oid, req->object_id)
		                   : NULL,
		req->has_customer_id ? call_fmt_int64(cid, req->customer_id)
		                     : NULL,
		req->has_since_us ? call_fmt_int64(since, req->since_us)
		                  : NULL,
		req->has_until_us ? call_fmt_int64(until, req->until_us)
		                  : NULL,
		pg.cursor_text, pg.fetch_text, pg.offset_text };
	if ((rv = call_query(call, &LIST, 8, p, &res)) != 0)
		return (rv);

	r = call_new(call, billing__v1__list_events_response,
	    Billing__V1__ListEventsResponse);
	if (r == NULL ||
	    (n = page_items(call, &pg, res, sizeof(*r->events),
	         (void **) &r->events)) < 0)
		return (call_oom(call));
	for (int i = 0; i < n; i++)
		if ((r->events[i] = from_row(call, res, i, 1)) == NULL)
			return (call_oom(call));
	r->n_events = (size_t) n;
	r->page = page_info(call, &pg, res, n > 0 ? r->events[n - 1]->id : 0);
	*out = r;
	return (0);
}

const billing_events_impl events_impl = {
	.list = events_list,
};
