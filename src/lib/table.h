/*
 * table.h: CSV inputs and outputs (rate cards, tenant maps, metric maps,
 * quotas, exports), a thin layer over libcsv (RFC 4180: quoted fields,
 * doubled quotes, CRLF or LF).
 *
 * Reading checks the header row: the first columns must be exactly the
 * expected names in order (more columns after them are allowed and passed
 * on). Every row must have as many fields as the header. Blank lines (and
 * lines of only spaces) are skipped. Spaces and tabs around an unquoted
 * field are trimmed (libcsv's rule); quote a field to keep them. A UTF-8
 * byte order mark at the start is ignored. Quotes must follow RFC 4180
 * (libcsv's strict mode): a quote inside an unquoted field, text after a
 * closing quote, or an unterminated quoted field is an error, and so is a
 * NUL byte. Errors name the file and the line the row starts on:
 * "rates.csv:7: 3 fields, expected 10".
 */
#ifndef BF_TABLE_H
#define BF_TABLE_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

/* Called for each data row. fields[i] are NUL-terminated copies valid only
 * during the call; nfields equals the header's count. line is the 1-based
 * line where the row starts. Return 0 to go on, or -1 with e set to stop
 * (the message should not repeat file and line: bf_table_read adds them). */
typedef int (*bf_table_row_fn)(void *ctx, char **fields, size_t nfields,
    long line, struct bf_err *e);

/* Reads path ("-" for stdin, "<stdin>" in messages) whose header must
 * start with the ncols names in header, calling fn for each data row.
 * Returns 0, or -1 with e set: BF_EXIT_USAGE for a missing or malformed
 * file (file name and line in the message), BF_EXIT_IO for a read error,
 * or the code fn set (its message prefixed with file and line). */
int bf_table_read(const char *path, const char *const *header, size_t ncols,
    bf_table_row_fn fn, void *ctx, struct bf_err *e);

/* Appends s[0..n) as one CSV field to out, quoted when it holds a comma,
 * quote, CR or LF, or starts or ends with a space or tab (which reading
 * would trim), quotes doubled. What bf_table_read reads back is s. */
void bf_table_put_field(struct bf_buf *out, const char *s, size_t n);
/* bf_table_put_field for a CSV that people open in a spreadsheet (exports,
 * reports): a text cell that starts with '=', '+', '-', '@', tab or CR,
 * which a spreadsheet would run as a formula, gets a leading "'" (the
 * OWASP rule for CSV injection). A number (bf_table_is_number) is written
 * as it is, so that -0.5 stays the number -0.5. */
void bf_table_put_cell(struct bf_buf *out, const char *s, size_t n);
/* 1 when s[0..n) is a decimal number: an optional sign, digits with an
 * optional fraction, and an optional exponent ("-0.500000000", "+1",
 * "2.5e-3"); 0 for anything else. */
int bf_table_is_number(const char *s, size_t n);

#endif
