/*
 * describe.c: `billctl list` and `billctl describe`, grpcurl's, from the
 * descriptors compiled into the client rather than server reflection:
 * billctl can only call what it was built with anyway.
 */
#include <inttypes.h>
#include <string.h>

#include "billctl.h"
#include "pbjson.h"
#include "schema.h"

static const char LIST_USAGE[] =
    "usage: billctl list [SERVICE]\n"
    "\n"
    "Lists the services, or the methods of SERVICE as `billctl call`\n"
    "takes them.\n";

static const char DESCRIBE_USAGE[] =
    "usage: billctl describe [NAME]\n"
    "\n"
    "Shows a service, a method (Service/Method), a message or an enum as\n"
    "proto text; every service without NAME. The billing.v1. prefix may\n"
    "be left out: describe Customers/Create, describe Customer.\n";

static bool
wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			return (true);
	return (false);
}

int
describe_list_main(const bctl_ctx *ctx, int argc, char **argv)
{
	const ProtobufCServiceDescriptor *s;

	(void) ctx;
	if (wants_help(argc, argv)) {
		fputs(LIST_USAGE, stdout);
		return (BCTL_EXIT_OK);
	}
	if (argc > 2)
		return (bctl_usage_error("list: one SERVICE at most"));
	if (argc == 1) {
		for (size_t i = 0; i < BILLING_SERVICES_COUNT; i++)
			printf("%s\n", billing_services[i]->name);
		return (BCTL_EXIT_OK);
	}
	if ((s = schema_service(argv[1])) == NULL)
		return (bctl_usage_error("list: no service %s (billctl list "
		                         "shows them)",
		    argv[1]));
	for (unsigned i = 0; i < s->n_methods; i++)
		printf("%s/%s\n", s->name, s->methods[i].name);
	return (BCTL_EXIT_OK);
}

static void
print_method(const billing_method *m, const char *indent)
{
	const ProtobufCMethodDescriptor *md = &m->service->methods[m->index];

	printf("%srpc %s(.%s) returns (.%s);%s\n", indent, md->name,
	    md->input->name, md->output->name,
	    m->read_only ? " // read-only" : "");
}

static void
describe_service(const ProtobufCServiceDescriptor *s)
{
	printf("%s is a service:\nservice %s {\n", s->name, s->short_name);
	for (unsigned i = 0; i < s->n_methods; i++)
		print_method(schema_method_of(s, s->methods[i].name), "  ");
	printf("}\n");
}

static const char *
label_name(ProtobufCLabel l)
{
	switch (l) {
	case PROTOBUF_C_LABEL_REQUIRED:
		return ("required ");
	case PROTOBUF_C_LABEL_OPTIONAL:
		return ("optional ");
	case PROTOBUF_C_LABEL_REPEATED:
		return ("repeated ");
	default:
		return ("");
	}
}

/* " [default = 1]" for the field types our protos give defaults to. */
static void
print_default(const ProtobufCFieldDescriptor *f)
{
	const void *d = f->default_value;

	if (d == NULL || f->label == PROTOBUF_C_LABEL_REPEATED)
		return;
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		printf(" [default = %" PRId32 "]", *(const int32_t *) d);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		printf(" [default = %" PRIu32 "]", *(const uint32_t *) d);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		printf(" [default = %" PRId64 "]", *(const int64_t *) d);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		printf(" [default = %" PRIu64 "]", *(const uint64_t *) d);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		printf(" [default = %s]",
		    *(const protobuf_c_boolean *) d ? "true" : "false");
		break;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumValue *v =
		    protobuf_c_enum_descriptor_get_value(
		        f->descriptor, *(const int32_t *) d);

		if (v != NULL)
			printf(" [default = %s]", v->name);
		break;
	}
	case PROTOBUF_C_TYPE_STRING:
		printf(" [default = \"%s\"]", (const char *) d);
		break;
	default:
		break;
	}
}

static void
describe_message(const ProtobufCMessageDescriptor *d)
{
	printf("%s is a message:\nmessage %s {\n", d->name, d->short_name);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *type = pbjson_type_name(f->type);

		if (f->type == PROTOBUF_C_TYPE_MESSAGE)
			type = ((const ProtobufCMessageDescriptor *)
			            f->descriptor)
			           ->name;
		else if (f->type == PROTOBUF_C_TYPE_ENUM)
			type =
			    ((const ProtobufCEnumDescriptor *) f->descriptor)
			        ->name;
		printf("  %s%s%s %s = %" PRIu32, label_name(f->label),
		    f->type == PROTOBUF_C_TYPE_MESSAGE ||
		            f->type == PROTOBUF_C_TYPE_ENUM
		        ? "."
		        : "",
		    type, f->name, f->id);
		print_default(f);
		printf(";\n");
	}
	printf("}\n");
}

static void
describe_enum(const ProtobufCEnumDescriptor *e)
{
	printf("%s is an enum:\nenum %s {\n", e->name, e->short_name);
	for (unsigned i = 0; i < e->n_values; i++)
		printf("  %s = %d;\n", e->values[i].name, e->values[i].value);
	printf("}\n");
}

int
describe_main(const bctl_ctx *ctx, int argc, char **argv)
{
	const ProtobufCServiceDescriptor *s;
	const ProtobufCMessageDescriptor *d;
	const ProtobufCEnumDescriptor *e;
	const billing_method *m;
	const char *name;

	(void) ctx;
	if (wants_help(argc, argv)) {
		fputs(DESCRIBE_USAGE, stdout);
		return (BCTL_EXIT_OK);
	}
	if (argc > 2)
		return (bctl_usage_error("describe: one NAME at most"));
	if (argc == 1) {
		for (size_t i = 0; i < BILLING_SERVICES_COUNT; i++) {
			if (i > 0)
				printf("\n");
			describe_service(billing_services[i]);
		}
		return (BCTL_EXIT_OK);
	}
	name = argv[1];
	if ((s = schema_service(name)) != NULL)
		describe_service(s);
	else if ((d = schema_message(name)) != NULL)
		describe_message(d);
	else if ((e = schema_enum(name)) != NULL)
		describe_enum(e);
	else if ((m = schema_method(name)) != NULL) {
		printf("%s.%s is a method:\n", m->service->name,
		    m->service->methods[m->index].name);
		print_method(m, "");
	} else
		return (
		    bctl_usage_error("describe: nothing is called %s", name));
	return (BCTL_EXIT_OK);
}
