/* SPDX-License-Identifier: ISC */
/*
 * savefile.h - one received file on its way to the download directory (issue 19).
 *
 * The bytes go to a temporary name in the directory as they come, hashed on the way; only when
 * the SHA-256 the sender announced matches is the file given its name, and never over another
 * file: "invoice.pdf", else "invoice (1).pdf", "invoice (2).pdf" ... (link(2) refuses a name
 * that exists, so two clients saving at once cannot overwrite each other either). A mismatch,
 * a short file or an abort removes the temporary file. Memory: the struct and a hash context.
 *
 * No event loop and no session here, so that a unit test can drive every path, the mismatch
 * first among them (our daemon never delivers corrupt bytes).
 */
#ifndef FRONTDESK_CLIENT_SAVEFILE_H
#define FRONTDESK_CLIENT_SAVEFILE_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "fileproto.h"

/* The longest file name kept, in bytes, as the server's rule (cut at a UTF-8 boundary). */
#define SAVEFILE_NAME_MAX FILE_NAME_MAX
/* Room for a name with a " (NNN)" suffix. */
#define SAVEFILE_SHOWN_MAX (SAVEFILE_NAME_MAX + 24)
#define SAVEFILE_PATH_MAX  4096

struct savefile {
	char dir[SAVEFILE_PATH_MAX];
	char tmp[SAVEFILE_PATH_MAX + 32]; /* "" when none is open */
	int fd;
	EVP_MD_CTX *md;
	unsigned long long size; /* bytes written so far */
};

/*
 * savefile_clean_name() - @name as a safe base name into @out (SAVEFILE_NAME_MAX + 1 bytes):
 * the server's rule (file_name_sanitise()), applied again since the client does not rely on the
 * server, so that a name cannot disguise itself on screen or in a file manager.
 */
void savefile_clean_name(const char *name, char *out);

/*
 * savefile_expand_home() - @path with a leading "~" or "~/" as the user's home ($HOME, else the
 * password file's) into @out (@len bytes); any other path as it is. Return: 0 or -ENAMETOOLONG.
 */
int savefile_expand_home(const char *path, char *out, size_t len);

/*
 * savefile_shown_path() - "@dir/@name" for the user into @out (@len bytes, cut if need be),
 * the home shown as "~": "~/Downloads/frontdesk/invoice.pdf".
 */
void savefile_shown_path(const char *dir, const char *name, char *out, size_t len);

/*
 * savefile_mkdir() - make @dir and any missing parent, each 0700. Return: 0 or a negative errno.
 */
int savefile_mkdir(const char *dir);

/* savefile_open() - start a file in @dir (made if missing). Return: 0 or a negative errno. */
int savefile_open(struct savefile *f, const char *dir);

/* savefile_write() - append @len bytes. Return: 0 or a negative errno. */
int savefile_write(struct savefile *f, const void *buf, size_t len);

/*
 * savefile_keep() - the last byte has come: compare the SHA-256 with @sha (64 hex digits, any
 * case) and, when equal, give the file the first free one of @name (cleaned), "@name (1)" ...
 * and say it in @ret_shown (SAVEFILE_SHOWN_MAX bytes). Return: 0; -EBADMSG for a hash that
 * differs (the file is removed); another negative errno when it cannot be kept.
 */
int savefile_keep(struct savefile *f, const char *sha, const char *name, char *ret_shown);

/* savefile_abort() - drop the file (no-op when none is open). */
void savefile_abort(struct savefile *f);

/*
 * savefile_sha_hex() - the SHA-256 of @md as 64 lower-case hex digits into @out (65 bytes); ""
 * when OpenSSL cannot finish it.
 */
void savefile_sha_hex(EVP_MD_CTX *md, char *out);

#endif
