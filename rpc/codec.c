/*
 * codec.c: see codec.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/utf8.h"
#include "codec.h"

int
rpc_pack_msg(
    const ProtobufCMessage *m, size_t max, nng_msg **out, billing_status *st)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	nng_msg *msg;
	int rv;

	if (len > max)
		return (billing_status_set(st, BILLING_RESOURCE_EXHAUSTED,
		    "%s is %zu bytes, over the limit of %zu",
		    m->descriptor->name, len, max));
	if ((rv = nng_msg_alloc(&msg, len)) != 0)
		return (billing_status_set(st, BILLING_UNAVAILABLE,
		    "cannot allocate a message: %s", nng_strerror(rv)));
	protobuf_c_message_pack(m, nng_msg_body(msg));
	*out = msg;
	return (0);
}

int
rpc_pack_buf(const ProtobufCMessage *m, size_t max, uint8_t **buf, size_t *len,
    billing_status *st)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *b;

	if (n > max)
		return (billing_status_set(st, BILLING_RESOURCE_EXHAUSTED,
		    "%s is %zu bytes, over the limit of %zu",
		    m->descriptor->name, n, max));
	if ((b = malloc(n > 0 ? n : 1)) == NULL)
		return (billing_status_set(st, BILLING_RESOURCE_EXHAUSTED,
		    "out of memory packing %zu bytes", n));
	protobuf_c_message_pack(m, b);
	*buf = b;
	*len = n;
	return (0);
}

/* A cursor over wire bytes. */
typedef struct wire {
	const uint8_t *p;
	const uint8_t *end;
} wire;

static int
read_varint(wire *w, uint64_t *out)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		uint8_t b;

		if (w->p >= w->end)
			return (-1);
		b = *w->p++;
		v |= (uint64_t) (b & 0x7F) << shift;
		if ((b & 0x80) == 0) {
			*out = v;
			return (0);
		}
	}
	return (-1); /* more than 10 bytes */
}

static int
skip(wire *w, uint64_t n)
{
	if (n > (uint64_t) (w->end - w->p))
		return (-1);
	w->p += n;
	return (0);
}

/*
 * The field path of the walk: a chain of names up to the message, kept
 * on the stack and spelled out ("customer.meta.entries") only when a
 * violation is reported, since almost every message has none.
 */
typedef struct path_node {
	const struct path_node *up;
	const char *name; /* NULL: not a known field */
} path_node;

/* Writes the path of n into dst (cap >= 1); returns its length. */
static size_t
path_format(const path_node *n, char *dst, size_t cap)
{
	size_t len;
	int w;

	if (n == NULL) {
		dst[0] = '\0';
		return (0);
	}
	len = path_format(n->up, dst, cap);
	if (n->name == NULL || len + 1 >= cap)
		return (len);
	w = snprintf(
	    dst + len, cap - len, "%s%s", len > 0 ? "." : "", n->name);
	if (w < 0)
		return (len);
	return ((size_t) w >= cap - len ? cap - 1 : len + (size_t) w);
}

static int
violation(billing_status *st, const path_node *at, const char *what)
{
	char path[256];

	if (path_format(at, path, sizeof(path)) == 0)
		snprintf(path, sizeof(path), "message");
	billing_status_add_violation(st, path, what);
	return (billing_status_set(st, BILLING_INVALID_ARGUMENT,
	    "malformed request: %s: %s", path, what));
}

static int
walk(const ProtobufCMessageDescriptor *desc, wire w, int depth,
    const path_node *path, billing_status *st)
{
	if (depth > RPC_MAX_DEPTH)
		return (violation(st, path, "nested too deeply"));
	while (w.p < w.end) {
		const ProtobufCFieldDescriptor *f;
		uint64_t tag, v;
		uint32_t num;
		path_node here;
		const path_node *fpath = &here;

		if (read_varint(&w, &tag) != 0)
			return (violation(st, path, "truncated field tag"));
		num = (uint32_t) (tag >> 3);
		if (num == 0 || tag >> 3 > 0x1FFFFFFF)
			return (violation(st, path, "invalid field number"));
		f = protobuf_c_message_descriptor_get_field(desc, num);
		here.up = path;
		here.name = f != NULL ? f->name : NULL;

		switch (tag & 7) {
		case 0: /* varint */
			if (read_varint(&w, &v) != 0)
				return (
				    violation(st, fpath, "truncated varint"));
			break;
		case 1: /* 64-bit */
			if (skip(&w, 8) != 0)
				return (
				    violation(st, fpath, "truncated fixed64"));
			break;
		case 5: /* 32-bit */
			if (skip(&w, 4) != 0)
				return (
				    violation(st, fpath, "truncated fixed32"));
			break;
		case 2: { /* length-delimited */
			wire sub;
			int rv;

			if (read_varint(&w, &v) != 0 ||
			    v > (uint64_t) (w.end - w.p))
				return (violation(st, fpath,
				    "length beyond the end of the message"));
			sub.p = w.p;
			sub.end = w.p + v;
			w.p = sub.end;
			if (f == NULL)
				break;
			if (f->type == PROTOBUF_C_TYPE_STRING &&
			    !utf8_valid((const char *) sub.p, (size_t) v))
				return (violation(st, fpath,
				    "not valid UTF-8, or holds a NUL byte"));
			if (f->type == PROTOBUF_C_TYPE_MESSAGE &&
			    (rv = walk(f->descriptor, sub, depth + 1, fpath,
			         st)) != 0)
				return (rv);
			break;
		}
		default: /* groups (3, 4) and 6, 7 */
			return (violation(st, fpath, "unsupported wire type"));
		}
	}
	return (0);
}

int
rpc_wire_check(const ProtobufCMessageDescriptor *desc, const uint8_t *buf,
    size_t len, billing_status *st)
{
	wire w;

	if (len == 0) /* an empty message; buf may be NULL */
		return (0);
	w.p = buf;
	w.end = buf + len;
	return (walk(desc, w, 0, NULL, st));
}

int
rpc_unpack(const ProtobufCMessageDescriptor *desc, const uint8_t *buf,
    size_t len, size_t max, ProtobufCAllocator *a, const char *what,
    ProtobufCMessage **out, billing_status *st)
{
	ProtobufCMessage *m;
	int rv;

	if (len > max)
		return (billing_status_set(st, BILLING_RESOURCE_EXHAUSTED,
		    "%s is %zu bytes, over the limit of %zu", what, len, max));
	if ((rv = rpc_wire_check(desc, buf, len, st)) != 0)
		return (rv);
	/* The walk accepted it, so a failure here is a wrong field type. */
	if ((m = protobuf_c_message_unpack(desc, a, len, buf)) == NULL)
		return (billing_status_set(st, BILLING_INVALID_ARGUMENT,
		    "%s is not a valid %s", what, desc->name));
	*out = m;
	return (0);
}
