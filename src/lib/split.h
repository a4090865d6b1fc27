/*
 * split.h: bf-fetch --split: the file source's data files split by
 * partition once, so that the pipelines of bf-backfill -j N each read the
 * records of their own partition instead of every one of them reading the
 * whole data (bf-fetch(1), "Splitting by partition").
 *
 * bf_split_run parses o->data with the file source's parser
 * (bf_records_parse, same options, same checks and messages, a malformed
 * file an error with code BF_EXIT_USAGE before anything is written), then
 * writes, for each partition key, the input of its records verbatim and in
 * input order to DIR/<encoded key>.ndjson, or for CSV to
 * DIR/<encoded key>.csv under the files' header row (keys encoded as the
 * state directory encodes partitions, bf_name_encode; DIR created 0700
 * when missing, files 0600). A pipeline given a part instead of the data
 * writes what it would write given the data, for the windows of that
 * partition: a record's output depends only on the records of its
 * partition. Records whose key can name no partition (empty, not UTF-8, or
 * longer than a state directory takes, bf_partition_check) are left out:
 * no window asks for them. A partition without a part has no records.
 *
 * Where a part would not give the same output the data is not split and
 * nothing is written: CloudWatch exports (one JSON document, periods from
 * the series' spacing), data files of different formats, CSV files with
 * different header rows, CSV with a carriage return that is not part of a
 * CR LF line end.
 *
 * Writes to out one line per part written, in key order (bytewise), then
 * a total line:
 *   {"type":"split","partition":P,"file":"DIR/E.ndjson","records":N}
 *   {"type":"split_total","split":true,"format":"ndjson"|"csv",
 *    "partitions":K,"records":M,"skipped":S}
 * or, not split, the total line alone:
 *   {"type":"split_total","split":false,"reason":"..."}
 * Returns 0, or -1 with e set (BF_EXIT_USAGE: a data file unreadable or
 * malformed, the options wrong; BF_EXIT_IO: DIR or a part could not be
 * written, the parts written so far are then removed).
 */
#ifndef BF_SPLIT_H
#define BF_SPLIT_H

#include <stdio.h>

#include "err.h"
#include "source.h"

int bf_split_run(const struct bf_fetch_opts *o, const char *dir, FILE *out,
    struct bf_err *e);

#endif
