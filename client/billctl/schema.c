/*
 * schema.c: see schema.h. Services and methods come from the generated
 * tables; messages and enums have no table of their own, so they are
 * collected once by walking the fields of every method's input and
 * output, and of the envelope.
 */
#include <stdbool.h>
#include <string.h>

#include "schema.h"

#define MAX_TYPES 256

static const ProtobufCMessageDescriptor *messages[MAX_TYPES];
static size_t n_messages;
static const ProtobufCEnumDescriptor *enums[MAX_TYPES];
static size_t n_enums;
static bool collected;

static void
add_enum(const ProtobufCEnumDescriptor *e)
{
	for (size_t i = 0; i < n_enums; i++)
		if (enums[i] == e)
			return;
	if (n_enums < MAX_TYPES)
		enums[n_enums++] = e;
}

static void
add_message(const ProtobufCMessageDescriptor *d)
{
	for (size_t i = 0; i < n_messages; i++)
		if (messages[i] == d)
			return;
	if (n_messages == MAX_TYPES)
		return;
	messages[n_messages++] = d;
	for (unsigned i = 0; i < d->n_fields; i++) {
		if (d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE)
			add_message(d->fields[i].descriptor);
		else if (d->fields[i].type == PROTOBUF_C_TYPE_ENUM)
			add_enum(d->fields[i].descriptor);
	}
}

static void
collect(void)
{
	if (collected)
		return;
	collected = true;
	for (size_t i = 0; i < BILLING_METHODS_COUNT; i++) {
		add_message(billing_methods[i]->input);
		add_message(billing_methods[i]->output);
	}
	add_message(&billing__v1__request_envelope__descriptor);
	add_message(&billing__v1__reply_envelope__descriptor);
}

size_t
schema_messages(const ProtobufCMessageDescriptor *const **out)
{
	collect();
	*out = messages;
	return (n_messages);
}

size_t
schema_enums(const ProtobufCEnumDescriptor *const **out)
{
	collect();
	*out = enums;
	return (n_enums);
}

/* Whether want names full (package.Name), with or without the package. */
static bool
name_is(const char *full, const char *package, size_t wlen, const char *want)
{
	size_t plen = strlen(package);

	if (wlen > 0 && want[0] == '.') {
		want++;
		wlen--;
	}
	if (strlen(full) == wlen && strncmp(full, want, wlen) == 0)
		return (true);
	/* Without the package: compare with what follows "package.". */
	return (plen > 0 && strncmp(full, package, plen) == 0 &&
	    full[plen] == '.' && strlen(full + plen + 1) == wlen &&
	    strncmp(full + plen + 1, want, wlen) == 0);
}

static const ProtobufCServiceDescriptor *
service_n(const char *name, size_t len)
{
	for (size_t i = 0; i < BILLING_SERVICES_COUNT; i++)
		if (name_is(billing_services[i]->name,
		        billing_services[i]->package, len, name))
			return (billing_services[i]);
	return (NULL);
}

const ProtobufCServiceDescriptor *
schema_service(const char *name)
{
	return (service_n(name, strlen(name)));
}

const billing_method *
schema_method_of(const ProtobufCServiceDescriptor *s, const char *method)
{
	for (size_t i = 0; i < BILLING_METHODS_COUNT; i++) {
		const billing_method *m = billing_methods[i];

		if (m->service == s &&
		    strcmp(s->methods[m->index].name, method) == 0)
			return (m);
	}
	return (NULL);
}

const billing_method *
schema_method(const char *name)
{
	const ProtobufCServiceDescriptor *s;
	const char *sep;

	if (name[0] == '/')
		name++;
	if ((sep = strrchr(name, '/')) == NULL &&
	    (sep = strrchr(name, '.')) == NULL)
		return (NULL);
	if ((s = service_n(name, (size_t) (sep - name))) == NULL)
		return (NULL);
	return (schema_method_of(s, sep + 1));
}

const ProtobufCMessageDescriptor *
schema_message(const char *name)
{
	collect();
	for (size_t i = 0; i < n_messages; i++)
		if (name_is(messages[i]->name, messages[i]->package_name,
		        strlen(name), name))
			return (messages[i]);
	return (NULL);
}

const ProtobufCEnumDescriptor *
schema_enum(const char *name)
{
	collect();
	for (size_t i = 0; i < n_enums; i++)
		if (name_is(enums[i]->name, enums[i]->package_name,
		        strlen(name), name))
			return (enums[i]);
	return (NULL);
}
