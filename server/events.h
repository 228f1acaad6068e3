/*
 * events: the audit trail. events_record writes one event in the call's
 * transaction, so an event exists exactly when its change committed.
 */
#ifndef SERVER_EVENTS_H
#define SERVER_EVENTS_H

#include <stdint.h>

#include "call.h"
#include "pgarray.h"

/*
 * Records type ("customer.created") on object_type/object_id.
 * customer_id 0, before/after NULL and data_json NULL ("{}") are allowed.
 * Returns 0 or a status code set on the call.
 */
int events_record(srv_call *call, const char *type, const char *object_type,
    int64_t object_id, int64_t customer_id, const char *before,
    const char *after, const char *data_json);

/*
 * A batch of events written by one statement (the billing run records
 * thousands per transaction). Add with events_batch_add, then flush.
 */
typedef struct events_batch {
	pgarray customer_id, type, object_type, object_id, before, after, data;
	int n;
} events_batch;

void events_batch_init(events_batch *b, srv_call *call);
void events_batch_add(events_batch *b, const char *type,
    const char *object_type, int64_t object_id, int64_t customer_id,
    const char *before, const char *after, const char *data_json);
/* Writes the batch's events (none is fine); 0 or a status code. */
int events_batch_flush(srv_call *call, events_batch *b);

extern const billing_events_impl events_impl;

#endif /* SERVER_EVENTS_H */
