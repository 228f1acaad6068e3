/*
 * multipart: the fields of a multipart/form-data body, decoded by
 * libmicrohttpd's post processor and merged into the request's
 * parameters by PHP's form rules (params_merge_fields). As in PHP, file
 * parts (those with a filename) are not parameters, and only POST bodies
 * are read (docs/legacy-api.md 6, "Parameters").
 */
#ifndef BRIDGE_MULTIPART_H
#define BRIDGE_MULTIPART_H

#include <stddef.h>

#include <microhttpd.h>

#include "params.h"

/*
 * Merges the fields of body (len bytes, the whole gathered body of c)
 * over p; PARAMS_OK also when the body is malformed (what was read
 * before the fault counts, as in PHP), else a params error.
 */
int multipart_merge(
    struct MHD_Connection *c, const char *body, size_t len, params *p);

#endif /* BRIDGE_MULTIPART_H */
