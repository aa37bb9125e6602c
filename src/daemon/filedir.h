/* SPDX-License-Identifier: ISC */
/*
 * filedir.h - the files directory (issue 19): kept files by SHA-256, uploads in progress, and
 * the quota over both.
 *
 *     FILES_DIR/ab/abcdef...        a kept file, named by its SHA-256 (lower-case hex)
 *     FILES_DIR/ab/abcdef....type   its media type, one line, as its first uploader said it
 *     FILES_DIR/TMP/up-N            an upload in progress (TMP: "tmp", or "tmp-NODE" in a
 *                                   cluster, so that a node's start cleans only its own)
 *
 * Every path is opened relative to the directory's descriptor (openat() and the like), from
 * names this module makes: nothing a peer says becomes a path, and nothing is written outside.
 * A kept file is fsync'd, then renamed into place: it is there whole or not at all. The quota
 * (files_max_bytes) counts the kept files (walked at start) and the SIZE every upload in
 * progress reserved at its offer, each as the disk takes it: rounded up to 4 KiB blocks (one
 * at least), plus one block for its .type; so tiny files cannot fill a disk under the quota.
 *
 * Single-threaded, like the rest of the daemon. A file being downloaded may be removed: its
 * reader keeps its descriptor.
 */
#ifndef FRONTDESK_FILEDIR_H
#define FRONTDESK_FILEDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fileproto.h"

struct filedir;

/* A name in the temp directory. */
#define FILEDIR_TMP_BUFSIZE 32

/*
 * filedir_open() - open (create, 0700) the directory @path and its temp directory @tmp,
 * emptying the latter (what a previous run left half uploaded), and count the kept files.
 * @path NULL: a private directory under $TMPDIR (or /tmp), removed by filedir_close().
 * Return: 0, or a negative errno with *@ret_why saying what failed (a static string).
 */
int filedir_open(const char *path, const char *tmp, uint64_t max_bytes, struct filedir **ret,
		 const char **ret_why);
/* filedir_close() - close it; a private directory is removed with everything in it. */
void filedir_close(struct filedir *d);
/* filedir_path() - its path, for logs. */
const char *filedir_path(const struct filedir *d);
/* filedir_used() - bytes counted against the quota: kept files and reservations (in blocks). */
uint64_t filedir_used(const struct filedir *d);

/*
 * filedir_reserve() - count a file of @size bytes against the quota now (as the disk takes
 * it, see above): 0, or -ENOSPC if over it.
 */
int filedir_reserve(struct filedir *d, uint64_t size);
/* filedir_release() - give back a reserved file of @size bytes (an upload failed, a dup). */
void filedir_release(struct filedir *d, uint64_t size);

/* filedir_tmp_create() - a new temp file for an upload: its descriptor, its name in @name. */
int filedir_tmp_create(struct filedir *d, char name[FILEDIR_TMP_BUFSIZE]);
/* filedir_tmp_remove() - remove the temp file @name (an upload that failed). */
void filedir_tmp_remove(struct filedir *d, const char *name);

/*
 * filedir_keep() - the complete upload in temp file @name (open as @fd, which stays the
 * caller's) kept as @sha with its @type: fsync'd and renamed into place, or, if that file is
 * kept already, removed (*@ret_dup true; its reservation is the caller's to release).
 * Return: 0, or a negative errno (the temp file is left for the caller to remove).
 */
int filedir_keep(struct filedir *d, const char *name, int fd, const char *sha, const char *type,
		 bool *ret_dup);

/*
 * filedir_open_kept() - the kept file @sha, opened for reading: its descriptor, its size and
 * its media type (FILE_TYPE_DEFAULT if its .type is missing). Return: fd, or -ENOENT or
 * another negative errno.
 */
int filedir_open_kept(struct filedir *d, const char *sha, uint64_t *ret_size,
		      char type[FILE_TYPE_BUFSIZE]);

/*
 * filedir_remove() - remove the kept file @sha (and its .type), and uncount it. For retention:
 * a file no message refers to any more. Return: 0, or -ENOENT.
 */
int filedir_remove(struct filedir *d, const char *sha);

/*
 * filedir_each() - call @cb for every kept file, with its SHA-256 and size, until @cb returns
 * non-zero (returned). @cb may filedir_remove() the file it is given, and no other.
 */
int filedir_each(struct filedir *d, int (*cb)(const char *sha, uint64_t size, void *arg),
		 void *arg);

#endif
