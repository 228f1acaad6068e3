/*
 * output: how billctl prints responses. Tables for people (columns
 * padded to the widest cell, absent values as "-"), pretty JSON for
 * programs. Text from the server is printed with control characters
 * replaced, so that a name holding an escape sequence or a newline can
 * neither drive the terminal nor break a table's lines.
 */
#ifndef BILLCTL_OUTPUT_H
#define BILLCTL_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <protobuf-c/protobuf-c.h>

#include "billing_methods.h"
#include "money.h"
#include "timefmt.h"

typedef struct out_table out_table;

/*
 * A table of ncols columns; headers (ncols titles) or NULL for a table
 * without a header line. NULL when out of memory.
 */
out_table *out_table_new(size_t ncols, const char *const *headers);

/* Adds a row of ncols cells (copied; NULL prints "-"). 0 or ENOMEM. */
int out_table_add(out_table *t, const char *const *cells);

/* Prints the table; 0, or -1 on a write error. */
int out_table_print(const out_table *t, FILE *fp);

/* The same, each line after indent spaces. */
int out_table_print_indent(const out_table *t, FILE *fp, int indent);

/*
 * Prints n (label, value) rows as a table without header, indented by
 * indent spaces: a message shown a field a line. An exit code.
 */
int out_pairs(FILE *fp, const char *const (*rows)[2], size_t n, int indent);

void out_table_free(out_table *t);

/* Prints s with control characters and invalid UTF-8 replaced by '?'. */
void out_clean(FILE *fp, const char *s);

/* Prints m as indented JSON and a newline; an exit code. */
int out_json(FILE *fp, const ProtobufCMessage *m);

/* Prints a list's footer: the count and how to get the next page. */
void out_page(FILE *fp, const Billing__V1__PageInfo *pi, size_t rows);

/* Room for the text of one list cell (a formatted money or time fits). */
#define OUT_CELL_BYTES 160
#define OUT_LIST_MAX_COLS 16

/*
 * Fills cells[0..ncols) for row i of a list response; a cell's text may
 * be written to buf[column].
 */
typedef void (*out_row_fn)(const ProtobufCMessage *resp, size_t i,
    const char **cells, char (*buf)[OUT_CELL_BYTES]);

/*
 * Prints n rows of a list response as a table under headers (ncols of
 * them, at most OUT_LIST_MAX_COLS), then the paging footer. An exit code.
 */
int out_list(FILE *fp, const char *const *headers, size_t ncols,
    const ProtobufCMessage *resp, size_t n, const Billing__V1__PageInfo *page,
    out_row_fn row);

/*
 * Cell formatters. Each writes into buf (or returns a constant) and
 * returns the text to put in a cell; "-" for an absent value.
 */
const char *out_str(const char *s);
const char *out_int(char buf[24], bool has, int64_t v);
const char *out_time(char buf[TIMEFMT_BUFSZ], bool has, int64_t us);
const char *out_money(
    char buf[MONEY_BUFSZ], bool has, int64_t minor, const char *currency);
const char *out_bool(bool has, bool v);
/* An enum value as its short name in lower case: "monthly". */
const char *out_enum(char *buf, size_t cap, bool has,
    const ProtobufCEnumDescriptor *ed, int value);

#endif /* BILLCTL_OUTPUT_H */
