/*
 * files.h: safe files: atomic replace, private creation, name encoding.
 */
#ifndef BF_FILES_H
#define BF_FILES_H

#include <stdio.h>
#include <sys/types.h>

#include "buf.h"
#include "err.h"

/* Encodes a name taken from data (a partition, an instance) as one safe file
 * name component, appended to out: bytes other than A-Z a-z 0-9 '-' '_' '.'
 * become %XX (uppercase hex), and so does a '.' in first position, so the
 * result is never "", ".", "..", hidden, or holds a '/'. The encoding is
 * reversible (bf_name_decode) and distinct names give distinct results.
 * Returns -1 for an empty name. */
int bf_name_encode(const char *name, size_t n, struct bf_buf *out);
/* Reverses bf_name_encode; returns -1 for text that is no such encoding. */
int bf_name_decode(const char *enc, struct bf_buf *out);

/* Replaces path atomically with data: writes a temporary file in the same
 * directory (created with mode), fsyncs it, renames it over path, fsyncs the
 * directory. A reader sees the old or the new file, never a mix, and after
 * a crash one of them is on disk. The temporary file's name is fixed,
 * DIR/.BASE.tmp, so the caller must serialise the writers of one path (a
 * lock): a temporary file left by a killed writer is then taken over by the
 * next write, or removed by whoever takes the lock (bf_lock_partition), and
 * never accumulates. Returns 0, or -1 with e set (BF_EXIT_IO). */
int bf_atomic_write(const char *path, const void *data, size_t n,
    mode_t mode, struct bf_err *e);
/* fsyncs the directory holding path (or dir itself if it is one). */
int bf_fsync_dir(const char *dir, struct bf_err *e);

/* Opens path for appending ("a") or writing ("w"), creating it with mode
 * 0600 when it does not exist (an existing file keeps its mode). For files
 * that may hold telemetry: DLQs, exports, watermarks. */
FILE *bf_fopen_private(const char *path, const char *mode, struct bf_err *e);

/* mkdir -p with mode for the directories it creates. */
int bf_mkdir_p(const char *dir, mode_t mode, struct bf_err *e);

#endif
