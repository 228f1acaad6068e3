/*
 * source: the legacy MariaDB/MySQL database, read through libmariadb on
 * a latin1 connection (MariaDB sends every column's stored bytes: the
 * latin1 tables as they are, the utf8 ones converted back to the bytes
 * the legacy app sent), in a session on UTC (TIMESTAMPs come as UTC;
 * DATETIMEs are never converted), inside one consistent snapshot.
 * Results stream (mysql_use_result): memory does not grow with a table.
 */
#ifndef MIGRATE_SOURCE_H
#define MIGRATE_SOURCE_H

#include <stddef.h>

#include <mysql.h>

#define SRC_ERR_BYTES 512

typedef struct src_url {
	char user[128], pass[128], host[256], db[128], socket[512];
	unsigned port;
} src_url;

typedef struct src {
	MYSQL *my;
	MYSQL_RES *res;
	unsigned nfields;
	char err[SRC_ERR_BYTES];
} src;

/*
 * Parses mysql://USER[:PASS]@HOST[:PORT]/DB[?socket=PATH]
 * (percent-encoded parts decoded). Returns 0, or -1 with err filled.
 */
int src_url_parse(const char *url, src_url *u, char *err, size_t errlen);

/* Connects and opens the snapshot. Returns 0, or -1 with s->err. */
int src_open(src *s, const char *url);
void src_close(src *s);

/* Starts a streamed query. Returns 0, or -1 with s->err. */
int src_query(src *s, const char *sql);
/*
 * The next row of the streamed query: 1 with *row and *lens, 0 at its
 * end, -1 on an error (s->err).
 */
int src_next(src *s, MYSQL_ROW *row, unsigned long **lens);
/* Ends the streamed query (reading what is left). */
void src_end(src *s);

/*
 * Runs a query whose first row's columns are integers (counts): fills
 * out[0..n). Returns 0, or -1 with s->err.
 */
int src_ints(src *s, const char *sql, long long *out, int n);

#endif /* MIGRATE_SOURCE_H */
