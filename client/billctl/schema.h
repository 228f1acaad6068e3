/*
 * schema: finds the services, methods, messages and enums compiled into
 * the client by the names an operator types. A name may carry the
 * package or not ("billing.v1.Customer" or "Customer"), a leading '.'
 * or '/', and a method may be written "Service/Method" or
 * "Service.Method" ("/billing.v1.Customers/Get", "Customers.Get").
 */
#ifndef BILLCTL_SCHEMA_H
#define BILLCTL_SCHEMA_H

#include <stddef.h>

#include "billing_methods.h"

const ProtobufCServiceDescriptor *schema_service(const char *name);
const billing_method *schema_method(const char *name);
const ProtobufCMessageDescriptor *schema_message(const char *name);
const ProtobufCEnumDescriptor *schema_enum(const char *name);

/* The method m of service s, or NULL. */
const billing_method *schema_method_of(
    const ProtobufCServiceDescriptor *s, const char *method);

/* Every message and enum reachable from the services and the envelope. */
size_t schema_messages(const ProtobufCMessageDescriptor *const **out);
size_t schema_enums(const ProtobufCEnumDescriptor *const **out);

#endif /* BILLCTL_SCHEMA_H */
