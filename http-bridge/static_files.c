/*
 * static_files.c: see static_files.h.
 */
#include <string.h>

#include "static_files.h"

/* Generated in the build directory by cmake/embed.cmake. */
extern const unsigned char asset_openapi_json[];
extern const size_t asset_openapi_json_len;
extern const unsigned char asset_docs_html[];
extern const size_t asset_docs_html_len;

static const struct {
	const char *path;
	const char *content_type;
	const unsigned char *body;
	const size_t *len;
} FILES[] = {
	{ "/openapi.json", "application/json", asset_openapi_json,
	    &asset_openapi_json_len },
	{ "/docs", "text/html; charset=utf-8", asset_docs_html,
	    &asset_docs_html_len },
};

int
static_files_find(const char *path, const char **content_type,
    const unsigned char **body, size_t *len)
{
	if (path == NULL)
		return (-1);
	for (size_t i = 0; i < sizeof(FILES) / sizeof(FILES[0]); i++)
		if (strcmp(path, FILES[i].path) == 0) {
			*content_type = FILES[i].content_type;
			*body = FILES[i].body;
			*len = *FILES[i].len;
			return (0);
		}
	return (-1);
}
