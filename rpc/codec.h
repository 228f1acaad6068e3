/*
 * codec: bounded protobuf encoding and decoding for the wire.
 *
 * protobuf-c's unpack returns NULL without saying why, trusts string
 * bytes (an embedded NUL silently cuts a C string) and has no size limit
 * of its own. rpc_unpack bounds the size first, then walks the wire
 * format against the descriptor to reject malformed framing, invalid
 * UTF-8 and NUL bytes in string fields with a precise INVALID_ARGUMENT,
 * and only then unpacks. Our messages are not recursive, so the depth of
 * nesting is bounded by the schema; the walk still stops at RPC_MAX_DEPTH.
 */
#ifndef RPC_CODEC_H
#define RPC_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>
#include <protobuf-c/protobuf-c.h>

#include "billing_status.h"

/* Largest envelope (payload included) either side sends or accepts. */
#define RPC_MAX_MESSAGE_BYTES ((size_t) 4 * 1024 * 1024)

/*
 * nng's receive limit: a little above RPC_MAX_MESSAGE_BYTES, so that a
 * frame just over our limit is read and answered RESOURCE_EXHAUSTED; nng
 * drops the connection of anything larger without reading it.
 */
#define RPC_RECV_LIMIT_BYTES (RPC_MAX_MESSAGE_BYTES + (size_t) 64 * 1024)

#define RPC_MAX_DEPTH 32

/*
 * Packs m into a new nng message. Fails with RESOURCE_EXHAUSTED when the
 * encoding exceeds max bytes, UNAVAILABLE when nng cannot allocate.
 */
int rpc_pack_msg(
    const ProtobufCMessage *m, size_t max, nng_msg **out, billing_status *st);

/*
 * Packs m into a new malloc'd buffer (*buf, *len). Fails like
 * rpc_pack_msg, with RESOURCE_EXHAUSTED also when malloc fails.
 */
int rpc_pack_buf(const ProtobufCMessage *m, size_t max, uint8_t **buf,
    size_t *len, billing_status *st);

/*
 * Checks buf[0..len) against desc (see above) and unpacks it with
 * allocator a (NULL: malloc). Fails with RESOURCE_EXHAUSTED when len >
 * max, INVALID_ARGUMENT naming the field when the bytes are not a valid
 * encoding of desc. what names the message in error texts ("request").
 */
int rpc_unpack(const ProtobufCMessageDescriptor *desc, const uint8_t *buf,
    size_t len, size_t max, ProtobufCAllocator *a, const char *what,
    ProtobufCMessage **out, billing_status *st);

/*
 * The wire walk alone: 0, or INVALID_ARGUMENT with a field violation.
 */
int rpc_wire_check(const ProtobufCMessageDescriptor *desc, const uint8_t *buf,
    size_t len, billing_status *st);

#endif /* RPC_CODEC_H */
