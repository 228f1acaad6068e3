/*
 * static_files: the files the bridge serves from memory, compiled in from
 * http-bridge/assets/ by cmake/embed.cmake: the legacy API's OpenAPI
 * document at /openapi.json and its documentation page at /docs
 * (scripts/gen_api_docs.py makes docs.html from openapi.json). No API
 * key, no network: the page has no external resources.
 */
#ifndef BRIDGE_STATIC_FILES_H
#define BRIDGE_STATIC_FILES_H

#include <stddef.h>

/*
 * The file served at path (exact: "/openapi.json", "/docs"): 0 with its
 * content type, body and length in the out-parameters, or -1 (and the
 * out-parameters untouched) when there is no such file. The body is
 * static, never freed, and followed by a NUL not counted in *len.
 */
int static_files_find(const char *path, const char **content_type,
    const unsigned char **body, size_t *len);

#endif /* BRIDGE_STATIC_FILES_H */
