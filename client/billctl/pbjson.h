/*
 * pbjson: JSON <-> protobuf-c messages, driven by the descriptors.
 *
 * The mapping is proto3 JSON's, narrowed for an operator's tool. Keys
 * are the proto field names (snake_case). Enums are written by full
 * value name and read by full name, by short name (without the enum's
 * prefix: "MONTHLY" for BILLING_CYCLE_MONTHLY, any case) or by number.
 * 64-bit integers are written as JSON integers and read from integers
 * or decimal strings; bytes are base64. null reads as "field absent".
 * Only present fields are written: set has_ flags, non-NULL pointers,
 * non-empty repeated fields.
 *
 * Reading is strict, because its input comes from people and fuzzers:
 * unknown keys, duplicate keys, wrong types, fractions, out of range
 * numbers, unknown enum values, bad base64 and NUL bytes in strings are
 * errors that name the field; input size, nesting depth and array
 * lengths are bounded so that no input makes it allocate without limit.
 *
 * Messages it builds are malloc'd the way protobuf-c's unpack does, so
 * protobuf_c_message_free_unpacked(m, NULL) frees them.
 *
 * This module depends on protobuf-c, jansson and libc only: the fuzz
 * target (tests/fuzz/fuzz_pbjson.c) builds it on its own.
 */
#ifndef PBJSON_H
#define PBJSON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#define PBJSON_MAX_INPUT ((size_t) 1024 * 1024) /* bytes of JSON text */
#define PBJSON_MAX_DEPTH 32                     /* nested arrays/objects */
#define PBJSON_MAX_ARRAY 10000                  /* elements of one array */

/* Status codes; 0 is success. */
enum pbjson_code {
	PBJSON_OK = 0,
	PBJSON_ESYNTAX = 1, /* the text is not JSON */
	PBJSON_EINVAL = 2,  /* JSON that does not fit the message */
	PBJSON_ELIMIT = 3,  /* over a size, depth or length limit */
	PBJSON_ENOMEM = 4,
};

/*
 * Parses text[0..len) as a JSON object into a new message of type desc.
 * Returns 0 and sets *out, or a pbjson_code with a message in err (which
 * may be NULL; errlen bytes, always NUL-terminated).
 */
int pbjson_parse(const ProtobufCMessageDescriptor *desc, const char *text,
    size_t len, ProtobufCMessage **out, char *err, size_t errlen);

/* As pbjson_parse, from a JSON value already loaded. */
int pbjson_from_json(const ProtobufCMessageDescriptor *desc,
    const json_t *json, ProtobufCMessage **out, char *err, size_t errlen);

/* Converts m to a new JSON object (json_decref it). */
int pbjson_to_json(
    const ProtobufCMessage *m, json_t **out, char *err, size_t errlen);

/*
 * Converts m to JSON text: indented by two spaces when pretty, compact
 * otherwise, without a trailing newline. *out is malloc'd (free it).
 */
int pbjson_format(const ProtobufCMessage *m, bool pretty, char **out,
    char *err, size_t errlen);

/*
 * The short form of value name of enum ed: "MONTHLY" for
 * "BILLING_CYCLE_MONTHLY". name itself when it has no prefix to drop.
 */
/* The proto name of a field type: "int64", "string", "message", ... */
const char *pbjson_type_name(ProtobufCType t);

const char *pbjson_enum_short(
    const ProtobufCEnumDescriptor *ed, const char *name);

#endif /* PBJSON_H */
