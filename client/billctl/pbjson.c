/*
 * pbjson.c: JSON <-> protobuf-c (see pbjson.h).
 *
 * protobuf-c describes a message's C struct with offsets: a field's value
 * is at field->offset; field->quantifier_offset holds the has_ flag of an
 * optional scalar, the n_ count of a repeated field, or the case of a
 * oneof; strings and sub-messages are pointers, NULL when absent. The
 * reader keeps the struct consistent at every step (a count never
 * exceeds the elements filled in) so that a failure half-way can hand
 * the message to protobuf_c_message_free_unpacked as it stands.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pbjson.h"

#define MEMBER(m, off) ((void *) ((char *) (m) + (off)))
#define CMEMBER(m, off) ((const void *) ((const char *) (m) + (off)))

/* Where the walk is, for error messages: "page.page_size", "ids[3]". */
typedef struct pj_ctx {
	char path[256];
	size_t plen;
	char *err;
	size_t errlen;
} pj_ctx;

static void
ctx_init(pj_ctx *ctx, char *err, size_t errlen)
{
	ctx->path[0] = '\0';
	ctx->plen = 0;
	ctx->err = err;
	ctx->errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
}

/* Appends to the path; a path too long for the buffer is cut short. */
static size_t
path_push(pj_ctx *ctx, const char *fmt, ...)
{
	size_t mark = ctx->plen;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(ctx->path + mark, sizeof(ctx->path) - mark, fmt, ap);
	va_end(ap);
	if (n > 0)
		ctx->plen = mark + (size_t) n < sizeof(ctx->path)
		    ? mark + (size_t) n
		    : sizeof(ctx->path) - 1;
	return (mark);
}

static void
path_pop(pj_ctx *ctx, size_t mark)
{
	ctx->plen = mark;
	ctx->path[mark] = '\0';
}

static size_t
path_field(pj_ctx *ctx, const char *name)
{
	return (path_push(ctx, ctx->plen > 0 ? ".%s" : "%s", name));
}

/* Sets the error message, prefixed with the field when there is one. */
static int fail(pj_ctx *ctx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(pj_ctx *ctx, int code, const char *fmt, ...)
{
	va_list ap;
	size_t n = 0;
	int k;

	if (ctx->err == NULL || ctx->errlen == 0)
		return (code);
	if (ctx->plen > 0) {
		k = snprintf(
		    ctx->err, ctx->errlen, "field \"%s\": ", ctx->path);
		n = k < 0 ? 0 : (size_t) k;
	}
	if (n < ctx->errlen) {
		va_start(ap, fmt);
		vsnprintf(ctx->err + n, ctx->errlen - n, fmt, ap);
		va_end(ap);
	}
	return (code);
}

static const char *
json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return ("an object");
	case JSON_ARRAY:
		return ("an array");
	case JSON_STRING:
		return ("a string");
	case JSON_INTEGER:
		return ("an integer");
	case JSON_REAL:
		return ("a number with a fraction or exponent");
	case JSON_TRUE:
	case JSON_FALSE:
		return ("a boolean");
	case JSON_NULL:
		return ("null");
	}
	return ("an unknown value");
}

const char *
pbjson_type_name(ProtobufCType t)
{
	static const char *const names[] = {
		[PROTOBUF_C_TYPE_INT32] = "int32",
		[PROTOBUF_C_TYPE_SINT32] = "sint32",
		[PROTOBUF_C_TYPE_SFIXED32] = "sfixed32",
		[PROTOBUF_C_TYPE_INT64] = "int64",
		[PROTOBUF_C_TYPE_SINT64] = "sint64",
		[PROTOBUF_C_TYPE_SFIXED64] = "sfixed64",
		[PROTOBUF_C_TYPE_UINT32] = "uint32",
		[PROTOBUF_C_TYPE_FIXED32] = "fixed32",
		[PROTOBUF_C_TYPE_UINT64] = "uint64",
		[PROTOBUF_C_TYPE_FIXED64] = "fixed64",
		[PROTOBUF_C_TYPE_FLOAT] = "float",
		[PROTOBUF_C_TYPE_DOUBLE] = "double",
		[PROTOBUF_C_TYPE_BOOL] = "bool",
		[PROTOBUF_C_TYPE_ENUM] = "enum",
		[PROTOBUF_C_TYPE_STRING] = "string",
		[PROTOBUF_C_TYPE_BYTES] = "bytes",
		[PROTOBUF_C_TYPE_MESSAGE] = "message",
	};

	if ((unsigned) t < sizeof(names) / sizeof(names[0]) &&
	    names[t] != NULL)
		return (names[t]);
	return ("unknown");
}

/* Bytes one element of a repeated field of type t takes; 0: unsupported. */
static size_t
elem_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return (sizeof(int32_t));
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return (sizeof(int64_t));
	case PROTOBUF_C_TYPE_BOOL:
		return (sizeof(protobuf_c_boolean));
	case PROTOBUF_C_TYPE_ENUM:
		return (sizeof(int32_t));
	case PROTOBUF_C_TYPE_STRING:
		return (sizeof(char *));
	case PROTOBUF_C_TYPE_BYTES:
		return (sizeof(ProtobufCBinaryData));
	case PROTOBUF_C_TYPE_MESSAGE:
		return (sizeof(ProtobufCMessage *));
	default:
		/* float and double: no message of ours has them. */
		return (0);
	}
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF. */
static bool
utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t k;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			k = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			k = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			k = 3;
			cp = c & 0x07;
		} else
			return (false);
		if (n - i - 1 < k)
			return (false);
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xC0) != 0x80)
				return (false);
			cp = (cp << 6) | (s[i + j] & 0x3F);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
		    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
			return (false);
		i += k + 1;
	}
	return (true);
}

/* ---- base64 (RFC 4648; the reader takes both alphabets) ---- */

static const char B64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return (c - 'A');
	if (c >= 'a' && c <= 'z')
		return (c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (c - '0' + 52);
	if (c == '+' || c == '-')
		return (62);
	if (c == '/' || c == '_')
		return (63);
	return (-1);
}

/*
 * Decodes s[0..n) into a new buffer; padding is optional but, when
 * present, must complete the last quantum. Returns 0, or -1 with the
 * offending position in *bad (n for a bad length).
 */
static int
b64_decode(const char *s, size_t n, uint8_t **out, size_t *outlen, size_t *bad)
{
	size_t len = n, o = 0;
	uint32_t acc = 0;
	int bits = 0;
	uint8_t *buf;

	if (len >= 1 && s[len - 1] == '=') {
		len--;
		if (len >= 1 && s[len - 1] == '=')
			len--;
		if (n % 4 != 0) {
			*bad = n;
			return (-1);
		}
	}
	if (len % 4 == 1) {
		*bad = n;
		return (-1);
	}
	for (size_t i = 0; i < len; i++)
		if (b64_value((unsigned char) s[i]) < 0) {
			*bad = i;
			return (-1);
		}
	*out = NULL;
	*outlen = 0;
	if (len == 0)
		return (0);
	if ((buf = malloc(len / 4 * 3 + 3)) == NULL)
		return (-2);
	for (size_t i = 0; i < len; i++) {
		acc = (acc << 6) | (uint32_t) b64_value((unsigned char) s[i]);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (uint8_t) (acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	*out = buf;
	*outlen = o;
	return (0);
}

/* Encodes data[0..n) with padding; NULL when out of memory. */
static char *
b64_encode(const uint8_t *data, size_t n, size_t *outlen)
{
	char *s = malloc((n + 2) / 3 * 4 + 1), *p;
	size_t i;

	if ((p = s) == NULL)
		return (NULL);
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t) data[i] << 16 |
		    (uint32_t) data[i + 1] << 8 | data[i + 2];

		*p++ = B64[v >> 18];
		*p++ = B64[(v >> 12) & 63];
		*p++ = B64[(v >> 6) & 63];
		*p++ = B64[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t) data[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t) data[i + 1] << 8;
		*p++ = B64[v >> 18];
		*p++ = B64[(v >> 12) & 63];
		*p++ = i + 1 < n ? B64[(v >> 6) & 63] : '=';
		*p++ = '=';
	}
	*p = '\0';
	*outlen = (size_t) (p - s);
	return (s);
}

/* ---- enums ---- */

/*
 * The prefix values of ed carry by convention: "BILLING_CYCLE_" for
 * BillingCycle, the short name in upper snake case. Returns its length
 * (0 when it does not fit buf).
 */
static size_t
enum_prefix(const ProtobufCEnumDescriptor *ed, char *buf, size_t cap)
{
	const char *s = ed->short_name;
	size_t n = 0, len = strlen(s);

	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool up = c >= 'A' && c <= 'Z';

		/* A word starts at an upper case letter after a lower case
		 * one or a digit, or before a lower case one (HTTPStatus). */
		if (up && i > 0 &&
		    ((s[i - 1] >= 'a' && s[i - 1] <= 'z') ||
		        (s[i - 1] >= '0' && s[i - 1] <= '9') ||
		        (i + 1 < len && s[i + 1] >= 'a' && s[i + 1] <= 'z' &&
		            s[i - 1] >= 'A' && s[i - 1] <= 'Z'))) {
			if (n + 1 >= cap)
				return (0);
			buf[n++] = '_';
		}
		if (n + 1 >= cap)
			return (0);
		buf[n++] = c >= 'a' && c <= 'z' ? (char) (c - 'a' + 'A') : c;
	}
	if (n + 2 > cap)
		return (0);
	buf[n++] = '_';
	buf[n] = '\0';
	return (n);
}

const char *
pbjson_enum_short(const ProtobufCEnumDescriptor *ed, const char *name)
{
	char prefix[128];
	size_t n = enum_prefix(ed, prefix, sizeof(prefix));

	if (n > 0 && strncmp(name, prefix, n) == 0 && name[n] != '\0')
		return (name + n);
	return (name);
}

static const ProtobufCEnumValue *
enum_by_name(const ProtobufCEnumDescriptor *ed, const char *s)
{
	for (unsigned i = 0; i < ed->n_values; i++)
		if (strcmp(ed->values[i].name, s) == 0)
			return (&ed->values[i]);
	for (unsigned i = 0; i < ed->n_values; i++)
		if (strcasecmp(ed->values[i].name, s) == 0 ||
		    strcasecmp(pbjson_enum_short(ed, ed->values[i].name), s) ==
		        0)
			return (&ed->values[i]);
	return (NULL);
}

/* "UNSPECIFIED, MONTHLY, ..." for error messages. */
static void
enum_names(const ProtobufCEnumDescriptor *ed, char *buf, size_t cap)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < ed->n_values && n < cap; i++) {
		int k = snprintf(buf + n, cap - n, "%s%s", i > 0 ? ", " : "",
		    pbjson_enum_short(ed, ed->values[i].name));

		if (k < 0)
			break;
		n += (size_t) k;
	}
}

/* ---- reading ---- */

/*
 * Parses a decimal string as proto3 JSON writes 64-bit integers: an
 * optional '-' (when signed) and digits. Returns 0, -1 when s is not
 * such a string, -2 when its magnitude does not fit 64 bits.
 */
static int
parse_decimal(
    const char *s, size_t n, bool is_signed, uint64_t *mag, bool *neg)
{
	uint64_t v = 0;
	size_t i = 0;
	bool over = false;

	*neg = false;
	if (is_signed && n > 0 && s[0] == '-') {
		*neg = true;
		i = 1;
	}
	if (i == n)
		return (-1);
	for (; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return (-1);
		d = (unsigned) (s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			over = true;
		else
			v = v * 10 + d;
	}
	*mag = v;
	return (over ? -2 : 0);
}

/* Reads an integer of type t, range-checked, into dst. */
static int
read_integer(
    pj_ctx *ctx, const ProtobufCFieldDescriptor *f, const json_t *v, void *dst)
{
	bool wide = elem_size(f->type) == sizeof(int64_t);
	bool is_signed = f->type != PROTOBUF_C_TYPE_UINT32 &&
	    f->type != PROTOBUF_C_TYPE_FIXED32 &&
	    f->type != PROTOBUF_C_TYPE_UINT64 &&
	    f->type != PROTOBUF_C_TYPE_FIXED64;
	uint64_t mag;
	bool neg;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		neg = i < 0;
		/* Unsigned negation: no overflow at INT64_MIN. */
		mag = neg ? 0 - (uint64_t) i : (uint64_t) i;
	} else if (json_is_string(v) && wide) {
		int rv = parse_decimal(json_string_value(v),
		    json_string_length(v), is_signed, &mag, &neg);

		if (rv == -2)
			return (fail(ctx, PBJSON_EINVAL,
			    "%.40s is out of range for %s",
			    json_string_value(v), pbjson_type_name(f->type)));
		if (rv != 0)
			return (fail(ctx, PBJSON_EINVAL,
			    "\"%.40s\" is not a decimal %s",
			    json_string_value(v), pbjson_type_name(f->type)));
	} else
		return (fail(ctx, PBJSON_EINVAL, "expected %s, got %s",
		    wide ? "an integer or a decimal string" : "an integer",
		    json_type_name(v)));

	if (is_signed) {
		uint64_t lim = wide ? (uint64_t) INT64_MAX : INT32_MAX;

		if (mag > lim + (neg ? 1 : 0))
			goto range;
		if (wide) {
			/* -(mag - 1) - 1 reaches INT64_MIN, no overflow. */
			int64_t x = neg && mag > 0 ? -(int64_t) (mag - 1) - 1
			                           : (int64_t) mag;

			memcpy(dst, &x, sizeof(x));
		} else {
			int64_t w = neg ? -(int64_t) mag : (int64_t) mag;
			int32_t x = (int32_t) w;

			memcpy(dst, &x, sizeof(x));
		}
	} else {
		if (neg && mag != 0)
			goto range;
		if (wide)
			memcpy(dst, &mag, sizeof(mag));
		else {
			uint32_t x;

			if (mag > UINT32_MAX)
				goto range;
			x = (uint32_t) mag;
			memcpy(dst, &x, sizeof(x));
		}
	}
	return (0);
range:
	return (fail(ctx, PBJSON_EINVAL, "%s%llu is out of range for %s",
	    neg ? "-" : "", (unsigned long long) mag,
	    pbjson_type_name(f->type)));
}

static int
read_enum(
    pj_ctx *ctx, const ProtobufCFieldDescriptor *f, const json_t *v, void *dst)
{
	const ProtobufCEnumDescriptor *ed = f->descriptor;
	const ProtobufCEnumValue *ev = NULL;
	char names[256];
	int32_t x;

	if (json_is_string(v)) {
		const char *s = json_string_value(v);

		if (strlen(s) == json_string_length(v))
			ev = enum_by_name(ed, s);
		if (ev == NULL) {
			enum_names(ed, names, sizeof(names));
			return (fail(ctx, PBJSON_EINVAL,
			    "\"%.64s\" is not a value of %s (one of %s)", s,
			    ed->name, names));
		}
	} else if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i >= INT32_MIN && i <= INT32_MAX)
			ev = protobuf_c_enum_descriptor_get_value(ed, (int) i);
		if (ev == NULL)
			return (fail(ctx, PBJSON_EINVAL,
			    "%lld is not a value of %s", (long long) i,
			    ed->name));
	} else
		return (fail(ctx, PBJSON_EINVAL,
		    "expected an enum name or number, got %s",
		    json_type_name(v)));
	x = ev->value;
	memcpy(dst, &x, sizeof(x));
	return (0);
}

static int
read_string(pj_ctx *ctx, const json_t *v, char **dst)
{
	const char *s;
	size_t n;
	char *copy;

	if (!json_is_string(v))
		return (fail(ctx, PBJSON_EINVAL, "expected a string, got %s",
		    json_type_name(v)));
	s = json_string_value(v);
	n = json_string_length(v);
	/* A C string cannot carry a NUL: it would silently cut the value. */
	if (memchr(s, '\0', n) != NULL)
		return (fail(
		    ctx, PBJSON_EINVAL, "contains a NUL character (\\u0000)"));
	/* jansson checks text it parses, not strings built unchecked. */
	if (!utf8_valid((const unsigned char *) s, n))
		return (fail(ctx, PBJSON_EINVAL, "not valid UTF-8"));
	if ((copy = malloc(n + 1)) == NULL)
		return (fail(ctx, PBJSON_ENOMEM, "out of memory"));
	memcpy(copy, s, n + 1);
	*dst = copy;
	return (0);
}

static int
read_bytes(pj_ctx *ctx, const json_t *v, ProtobufCBinaryData *dst)
{
	size_t bad = 0;
	int rv;

	if (!json_is_string(v))
		return (fail(ctx, PBJSON_EINVAL,
		    "expected a base64 string, got %s", json_type_name(v)));
	rv = b64_decode(json_string_value(v), json_string_length(v),
	    &dst->data, &dst->len, &bad);
	if (rv == -2)
		return (fail(ctx, PBJSON_ENOMEM, "out of memory"));
	if (rv != 0) {
		if (bad == json_string_length(v))
			return (fail(ctx, PBJSON_EINVAL,
			    "not valid base64 (bad length or padding)"));
		return (fail(ctx, PBJSON_EINVAL,
		    "not valid base64 (bad character at offset %zu)", bad));
	}
	return (0);
}

static int read_message(pj_ctx *ctx, const ProtobufCMessageDescriptor *d,
    const json_t *obj, int depth, ProtobufCMessage **out);

/* Reads one value (not a repeated field's array) into dst. */
static int
read_value(pj_ctx *ctx, const ProtobufCFieldDescriptor *f, const json_t *v,
    int depth, void *dst)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_BOOL:
		if (!json_is_boolean(v))
			return (fail(ctx, PBJSON_EINVAL,
			    "expected true or false, got %s",
			    json_type_name(v)));
		*(protobuf_c_boolean *) dst = json_is_true(v);
		return (0);
	case PROTOBUF_C_TYPE_ENUM:
		return (read_enum(ctx, f, v, dst));
	case PROTOBUF_C_TYPE_STRING:
		return (read_string(ctx, v, dst));
	case PROTOBUF_C_TYPE_BYTES:
		return (read_bytes(ctx, v, dst));
	case PROTOBUF_C_TYPE_MESSAGE:
		return (read_message(ctx, f->descriptor, v, depth + 1, dst));
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE:
		return (fail(ctx, PBJSON_EINVAL, "type %s is not supported",
		    pbjson_type_name(f->type)));
	default:
		return (read_integer(ctx, f, v, dst));
	}
}

static int
read_repeated(pj_ctx *ctx, ProtobufCMessage *m,
    const ProtobufCFieldDescriptor *f, const json_t *v, int depth)
{
	size_t *count = MEMBER(m, f->quantifier_offset);
	size_t n, esz = elem_size(f->type);
	char *arr;

	if (!json_is_array(v))
		return (fail(ctx, PBJSON_EINVAL,
		    "expected an array (repeated %s), got %s",
		    pbjson_type_name(f->type), json_type_name(v)));
	if (esz == 0)
		return (fail(ctx, PBJSON_EINVAL, "type %s is not supported",
		    pbjson_type_name(f->type)));
	if ((n = json_array_size(v)) > PBJSON_MAX_ARRAY)
		return (fail(ctx, PBJSON_ELIMIT,
		    "array of %zu elements; at most %d are allowed", n,
		    PBJSON_MAX_ARRAY));
	if (n == 0)
		return (0);
	if ((arr = calloc(n, esz)) == NULL)
		return (fail(ctx, PBJSON_ENOMEM, "out of memory"));
	*(void **) MEMBER(m, f->offset) = arr;
	*count = 0;
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(v, i);
		size_t mark = path_push(ctx, "[%zu]", i);
		int rv;

		if (json_is_null(e))
			rv = fail(ctx, PBJSON_EINVAL,
			    "null is not allowed in an array");
		else
			rv = read_value(ctx, f, e, depth, arr + i * esz);
		if (rv != 0)
			return (rv);
		path_pop(ctx, mark);
		(*count)++;
	}
	return (0);
}

/* The field of d whose oneof case value is id, for error messages. */
static const char *
oneof_member_name(
    const ProtobufCMessageDescriptor *d, unsigned qoff, uint32_t id)
{
	for (unsigned i = 0; i < d->n_fields; i++)
		if ((d->fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    d->fields[i].quantifier_offset == qoff &&
		    d->fields[i].id == id)
			return (d->fields[i].name);
	return ("?");
}

static int
read_field(pj_ctx *ctx, const ProtobufCMessageDescriptor *d,
    ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, const json_t *v,
    int depth)
{
	bool oneof = (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0;
	int rv;

	/* As in proto3 JSON, null means the field is absent. */
	if (json_is_null(v))
		return (0);
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return (read_repeated(ctx, m, f, v, depth));
	if (oneof) {
		uint32_t *which = MEMBER(m, f->quantifier_offset);

		if (*which != 0 && *which != f->id)
			return (fail(ctx, PBJSON_EINVAL,
			    "only one field of a oneof may be set, and \"%s\" "
			    "is",
			    oneof_member_name(
			        d, f->quantifier_offset, *which)));
	}
	if ((rv = read_value(ctx, f, v, depth, MEMBER(m, f->offset))) != 0)
		return (rv);
	if (oneof)
		*(uint32_t *) MEMBER(m, f->quantifier_offset) = f->id;
	else if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
	    f->type != PROTOBUF_C_TYPE_STRING &&
	    f->type != PROTOBUF_C_TYPE_MESSAGE)
		*(protobuf_c_boolean *) MEMBER(m, f->quantifier_offset) = 1;
	return (0);
}

static int
read_message(pj_ctx *ctx, const ProtobufCMessageDescriptor *d,
    const json_t *obj, int depth, ProtobufCMessage **out)
{
	ProtobufCMessage *m;
	const char *key;
	json_t *v;
	int rv = 0;

	if (depth > PBJSON_MAX_DEPTH)
		return (fail(ctx, PBJSON_ELIMIT,
		    "nested deeper than %d levels", PBJSON_MAX_DEPTH));
	if (!json_is_object(obj))
		return (
		    fail(ctx, PBJSON_EINVAL, "expected an object (%s), got %s",
		        d->name, json_type_name(obj)));
	if ((m = malloc(d->sizeof_message)) == NULL)
		return (fail(ctx, PBJSON_ENOMEM, "out of memory"));
	protobuf_c_message_init(d, m);

	json_object_foreach ((json_t *) obj, key, v) {
		const ProtobufCFieldDescriptor *f =
		    protobuf_c_message_descriptor_get_field_by_name(d, key);
		size_t mark = path_field(ctx, key);

		if (f == NULL) {
			char where[sizeof(ctx->path)];

			/* Named in the message itself, not as a prefix. */
			snprintf(where, sizeof(where), "%s", ctx->path);
			ctx->plen = 0;
			rv = fail(ctx, PBJSON_EINVAL,
			    "unknown field \"%.200s\" (not in %s)", where,
			    d->name);
		} else
			rv = read_field(ctx, d, m, f, v, depth);
		if (rv != 0)
			break;
		path_pop(ctx, mark);
	}
	if (rv != 0) {
		protobuf_c_message_free_unpacked(m, NULL);
		return (rv);
	}
	*out = m;
	return (0);
}

/* Rejects nesting past the limit before any work, whatever the schema. */
static bool
depth_ok(const json_t *v, int depth)
{
	const char *key;
	json_t *e;
	size_t i;

	if (!json_is_object(v) && !json_is_array(v))
		return (true);
	if (depth > PBJSON_MAX_DEPTH)
		return (false);
	if (json_is_object(v)) {
		json_object_foreach ((json_t *) v, key, e)
			if (!depth_ok(e, depth + 1))
				return (false);
	} else {
		json_array_foreach (v, i, e)
			if (!depth_ok(e, depth + 1))
				return (false);
	}
	return (true);
}

int
pbjson_from_json(const ProtobufCMessageDescriptor *desc, const json_t *json,
    ProtobufCMessage **out, char *err, size_t errlen)
{
	pj_ctx ctx;

	ctx_init(&ctx, err, errlen);
	*out = NULL;
	if (json == NULL || !json_is_object(json))
		return (fail(&ctx, PBJSON_EINVAL,
		    "expected a JSON object (%s), got %s", desc->name,
		    json != NULL ? json_type_name(json) : "nothing"));
	if (!depth_ok(json, 1))
		return (fail(&ctx, PBJSON_ELIMIT,
		    "JSON nested deeper than %d levels", PBJSON_MAX_DEPTH));
	return (read_message(&ctx, desc, json, 1, out));
}

int
pbjson_parse(const ProtobufCMessageDescriptor *desc, const char *text,
    size_t len, ProtobufCMessage **out, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j;
	pj_ctx ctx;
	int rv;

	ctx_init(&ctx, err, errlen);
	*out = NULL;
	if (len > PBJSON_MAX_INPUT)
		return (fail(&ctx, PBJSON_ELIMIT,
		    "JSON input of %zu bytes; the limit is %zu", len,
		    PBJSON_MAX_INPUT));
	/* NULs are let through here to be refused with the field's name. */
	j = json_loadb(
	    text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
	if (j == NULL)
		return (fail(&ctx, PBJSON_ESYNTAX,
		    "invalid JSON at line %d, column %d: %s", je.line,
		    je.column, je.text));
	rv = pbjson_from_json(desc, j, out, err, errlen);
	json_decref(j);
	return (rv);
}

/* ---- writing ---- */

static int write_message(
    pj_ctx *ctx, const ProtobufCMessage *m, int depth, json_t **out);

static int
write_value(pj_ctx *ctx, const ProtobufCFieldDescriptor *f, const void *src,
    int depth, json_t **out)
{
	json_t *v = NULL;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		v = json_integer(*(const int32_t *) src);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		v = json_integer(*(const uint32_t *) src);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		v = json_integer((json_int_t) * (const int64_t *) src);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: {
		uint64_t u = *(const uint64_t *) src;
		char buf[24];

		/* Past a JSON integer's (jansson's) range: as a string. */
		if (u <= INT64_MAX)
			v = json_integer((json_int_t) u);
		else {
			snprintf(
			    buf, sizeof(buf), "%llu", (unsigned long long) u);
			v = json_string(buf);
		}
		break;
	}
	case PROTOBUF_C_TYPE_BOOL:
		v = json_boolean(*(const protobuf_c_boolean *) src);
		break;
	case PROTOBUF_C_TYPE_ENUM: {
		int32_t x = *(const int32_t *) src;
		const ProtobufCEnumValue *ev =
		    protobuf_c_enum_descriptor_get_value(f->descriptor, x);

		/* A value newer than our schema: its number. */
		v = ev != NULL ? json_string(ev->name) : json_integer(x);
		break;
	}
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(const char *const *) src;

		if (s == NULL)
			s = "";
		if ((v = json_string(s)) == NULL)
			return (fail(ctx, PBJSON_EINVAL, "not valid UTF-8"));
		break;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = src;
		size_t n;
		char *s = b64_encode(b->data, b->len, &n);

		if (s == NULL)
			return (fail(ctx, PBJSON_ENOMEM, "out of memory"));
		v = json_stringn_nocheck(s, n);
		free(s);
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub =
		    *(const ProtobufCMessage *const *) src;

		if (sub == NULL)
			v = json_object();
		else
			return (write_message(ctx, sub, depth + 1, out));
		break;
	}
	default:
		return (fail(ctx, PBJSON_EINVAL, "type %s is not supported",
		    pbjson_type_name(f->type)));
	}
	if (v == NULL)
		return (fail(ctx, PBJSON_ENOMEM, "out of memory"));
	*out = v;
	return (0);
}

/* Whether a field is set, by the rules protobuf-c packs by. */
static bool
field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	const void *q = CMEMBER(m, f->quantifier_offset);
	const void *p = CMEMBER(m, f->offset);

	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return (*(const size_t *) q > 0);
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return (*(const uint32_t *) q == f->id);
	if (f->type == PROTOBUF_C_TYPE_MESSAGE ||
	    f->type == PROTOBUF_C_TYPE_STRING) {
		const void *ptr = *(const void *const *) p;

		/* protobuf-c leaves a string's default in place of NULL. */
		if (ptr == NULL ||
		    (f->label != PROTOBUF_C_LABEL_REQUIRED &&
		        ptr == f->default_value))
			return (false);
		if (f->label == PROTOBUF_C_LABEL_NONE &&
		    f->type == PROTOBUF_C_TYPE_STRING)
			return (((const char *) ptr)[0] != '\0');
		return (true);
	}
	switch (f->label) {
	case PROTOBUF_C_LABEL_REQUIRED:
		return (true);
	case PROTOBUF_C_LABEL_OPTIONAL:
		return (*(const protobuf_c_boolean *) q != 0);
	default: {
		/* proto3 without presence: set when not zero. */
		size_t n = elem_size(f->type);

		if (f->type == PROTOBUF_C_TYPE_BYTES)
			return (((const ProtobufCBinaryData *) p)->len > 0);
		for (size_t i = 0; i < n; i++)
			if (((const unsigned char *) p)[i] != 0)
				return (true);
		return (false);
	}
	}
}

static int
write_field(pj_ctx *ctx, const ProtobufCMessage *m,
    const ProtobufCFieldDescriptor *f, int depth, json_t **out)
{
	size_t n, esz;
	const char *arr;
	json_t *a, *e;
	int rv;

	if (f->label != PROTOBUF_C_LABEL_REPEATED)
		return (
		    write_value(ctx, f, CMEMBER(m, f->offset), depth, out));
	n = *(const size_t *) CMEMBER(m, f->quantifier_offset);
	arr = *(const char *const *) CMEMBER(m, f->offset);
	if ((esz = elem_size(f->type)) == 0)
		return (fail(ctx, PBJSON_EINVAL, "type %s is not supported",
		    pbjson_type_name(f->type)));
	if ((a = json_array()) == NULL)
		return (fail(ctx, PBJSON_ENOMEM, "out of memory"));
	for (size_t i = 0; i < n; i++) {
		size_t mark = path_push(ctx, "[%zu]", i);

		rv = write_value(ctx, f, arr + i * esz, depth, &e);
		if (rv != 0) {
			json_decref(a);
			return (rv);
		}
		path_pop(ctx, mark);
		if (json_array_append_new(a, e) != 0) {
			json_decref(a);
			return (fail(ctx, PBJSON_ENOMEM, "out of memory"));
		}
	}
	*out = a;
	return (0);
}

static int
write_message(pj_ctx *ctx, const ProtobufCMessage *m, int depth, json_t **out)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	json_t *obj, *v;
	int rv;

	if (depth > PBJSON_MAX_DEPTH)
		return (fail(ctx, PBJSON_ELIMIT,
		    "nested deeper than %d levels", PBJSON_MAX_DEPTH));
	if ((obj = json_object()) == NULL)
		return (fail(ctx, PBJSON_ENOMEM, "out of memory"));
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		size_t mark;

		if (!field_present(m, f))
			continue;
		mark = path_field(ctx, f->name);
		if ((rv = write_field(ctx, m, f, depth, &v)) != 0) {
			json_decref(obj);
			return (rv);
		}
		path_pop(ctx, mark);
		if (json_object_set_new(obj, f->name, v) != 0) {
			json_decref(obj);
			return (fail(ctx, PBJSON_ENOMEM, "out of memory"));
		}
	}
	*out = obj;
	return (0);
}

int
pbjson_to_json(
    const ProtobufCMessage *m, json_t **out, char *err, size_t errlen)
{
	pj_ctx ctx;

	ctx_init(&ctx, err, errlen);
	*out = NULL;
	return (write_message(&ctx, m, 1, out));
}

int
pbjson_format(const ProtobufCMessage *m, bool pretty, char **out, char *err,
    size_t errlen)
{
	json_t *j;
	int rv;

	*out = NULL;
	if ((rv = pbjson_to_json(m, &j, err, errlen)) != 0)
		return (rv);
	*out = json_dumps(j, pretty ? JSON_INDENT(2) : JSON_COMPACT);
	json_decref(j);
	if (*out == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "out of memory");
		return (PBJSON_ENOMEM);
	}
	return (0);
}
