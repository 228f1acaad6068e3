/*
 * fuzz_pbjson: libFuzzer target of billctl's JSON <-> protobuf-c
 * conversion (client/billctl/pbjson.c), the code that reads whatever an
 * operator types or pipes in.
 *
 * Input: one selector byte, then JSON text. The byte picks the message
 * type: byte % (BILLING_METHODS_COUNT + 2) indexes the request message
 * of billing_methods[], and the two values past the methods pick
 * RequestEnvelope and ReplyEnvelope, the only messages with bytes
 * fields. The seed corpus (tests/fuzz/corpus/pbjson/) uses printable
 * selectors: 'H' Customers/Create, 'M' Customers/Update, 'X' Plans/Create,
 * 'a' RequestEnvelope, 'A' ReplyEnvelope, ...
 *
 * Checks, beyond the sanitizers' (no crash, no leak, no UB): a failed
 * parse leaves no message and says why; a message that parses packs,
 * unpacks, converts back to JSON, and that JSON parses again into a
 * message with the very same encoding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "billing_methods.h"
#include "pbjson.h"

#define N_TYPES (BILLING_METHODS_COUNT + 2)

static const ProtobufCMessageDescriptor *
pick(uint8_t b)
{
	unsigned i = b % N_TYPES;

	if (i < BILLING_METHODS_COUNT)
		return (billing_methods[i]->input);
	return (i == BILLING_METHODS_COUNT
	        ? &billing__v1__request_envelope__descriptor
	        : &billing__v1__reply_envelope__descriptor);
}

static uint8_t *
pack(const ProtobufCMessage *m, size_t *len)
{
	uint8_t *buf;

	*len = protobuf_c_message_get_packed_size(m);
	if ((buf = malloc(*len > 0 ? *len : 1)) == NULL)
		abort();
	if (protobuf_c_message_pack(m, buf) != *len)
		abort();
	return (buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const ProtobufCMessageDescriptor *d;
	ProtobufCMessage *m = NULL, *back, *again = NULL;
	uint8_t *buf, *buf2;
	size_t len, len2;
	char err[512], *text;

	if (size < 1)
		return (0);
	d = pick(data[0]);
	if (pbjson_parse(d, (const char *) data + 1, size - 1, &m, err,
	        sizeof(err)) != 0) {
		if (m != NULL || err[0] == '\0')
			abort();
		return (0);
	}

	buf = pack(m, &len);
	if ((back = protobuf_c_message_unpack(d, NULL, len, buf)) == NULL)
		abort();
	if (pbjson_format(back, false, &text, err, sizeof(err)) != 0)
		abort();
	if (pbjson_parse(d, text, strlen(text), &again, err, sizeof(err)) != 0)
		abort();
	buf2 = pack(again, &len2);
	if (len2 != len || memcmp(buf, buf2, len) != 0)
		abort();

	free(buf2);
	free(text);
	free(buf);
	protobuf_c_message_free_unpacked(again, NULL);
	protobuf_c_message_free_unpacked(back, NULL);
	protobuf_c_message_free_unpacked(m, NULL);
	return (0);
}
