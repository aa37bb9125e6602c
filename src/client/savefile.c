/* SPDX-License-Identifier: ISC */
/*
 * savefile.c - a received file: a temporary name while it comes, its own name once its SHA-256
 * matches (see savefile.h). The temporary name starts with a dot and is made by mkstemp(3), so
 * it can neither clash with a kept file nor be mistaken for one.
 */
#include "savefile.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <frontdesk/frame.h>

/* Past this many suffixes the directory is more than full of one name: give up. */
#define SUFFIX_MAX 9999

void savefile_clean_name(const char *name, char *out)
{
	file_name_sanitise(name, strlen(name), out);
}

/* $HOME, else the password file's, else NULL. */
static const char *home_dir(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home && *home)
		return home;
	pw = getpwuid(getuid());
	return pw && pw->pw_dir && *pw->pw_dir ? pw->pw_dir : NULL;
}

int savefile_expand_home(const char *path, char *out, size_t len)
{
	const char *home = home_dir();

	/* "~" and "~/..." only: "~ann/x" would need another user's home, not asked for. */
	if (path[0] != '~' || (path[1] != '\0' && path[1] != '/') || !home)
		home = NULL;
	if (snprintf(out, len, "%s%s", home ? home : "", home ? path + 1 : path) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

void savefile_shown_path(const char *dir, const char *name, char *out, size_t len)
{
	const char *home = home_dir();
	size_t n = home ? strlen(home) : 0;

	/* The home as "~": shorter, and the same on every line. */
	while (n > 1 && home[n - 1] == '/')
		n--;
	if (n > 1 && strncmp(dir, home, n) == 0 && (dir[n] == '/' || dir[n] == '\0'))
		snprintf(out, len, "~%s/%s", dir + n, name);
	else
		snprintf(out, len, "%s/%s", dir, name);
}

int savefile_mkdir(const char *dir)
{
	char path[SAVEFILE_PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	/* Each component in turn: "~/Downloads" may be missing as well as "frontdesk". */
	for (char *p = path + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = c;
		if (!c)
			break;
	}
	if (stat(dir, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int savefile_open(struct savefile *f, const char *dir)
{
	int r;

	*f = (struct savefile){ .fd = -1 };
	r = savefile_mkdir(dir);
	if (r < 0)
		return r;
	snprintf(f->dir, sizeof(f->dir), "%s", dir);
	snprintf(f->tmp, sizeof(f->tmp), "%s/.frontdesk-XXXXXX", dir);
	f->fd = mkstemp(f->tmp); /* 0600 */
	if (f->fd < 0) {
		r = -errno;
		f->tmp[0] = '\0';
		return r;
	}
	f->md = EVP_MD_CTX_new();
	if (!f->md || !EVP_DigestInit_ex(f->md, EVP_sha256(), NULL)) {
		savefile_abort(f);
		return -ENOMEM;
	}
	return 0;
}

int savefile_write(struct savefile *f, const void *buf, size_t len)
{
	const char *p = buf;

	if (f->fd < 0)
		return -EBADF;
	EVP_DigestUpdate(f->md, buf, len);
	f->size += len;
	while (len > 0) {
		ssize_t n = write(f->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void savefile_sha_hex(EVP_MD_CTX *md, char *out)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	/* A digest that cannot be had matches nothing: "" (out was left unset before). */
	out[0] = '\0';
	if (EVP_DigestFinal_ex(md, digest, &n) != 1 || n != 32)
		return;
	for (unsigned int i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

/* "@name" for @k 0, else "stem (k).ext" (a leading part before the first dot is no ext). */
static void suffixed(const char *name, unsigned k, char *out)
{
	const char *dot = strrchr(name, '.');

	if (k == 0)
		snprintf(out, SAVEFILE_SHOWN_MAX, "%s", name);
	else if (dot && dot != name)
		snprintf(out, SAVEFILE_SHOWN_MAX, "%.*s (%u)%s", (int)(dot - name), name, k, dot);
	else
		snprintf(out, SAVEFILE_SHOWN_MAX, "%s (%u)", name, k);
}

/* Give the temporary file the first free name: link() fails on one that exists. */
static int take_name(struct savefile *f, const char *name, char *ret_shown)
{
	char path[SAVEFILE_PATH_MAX + SAVEFILE_SHOWN_MAX + 2];

	for (unsigned k = 0; k <= SUFFIX_MAX; k++) {
		suffixed(name, k, ret_shown);
		snprintf(path, sizeof(path), "%s/%s", f->dir, ret_shown);
		if (link(f->tmp, path) == 0)
			return 0;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

int savefile_keep(struct savefile *f, const char *sha, const char *name, char *ret_shown)
{
	char got[65], clean[SAVEFILE_NAME_MAX + 1];
	int r;

	if (f->fd < 0)
		return -EBADF;
	savefile_sha_hex(f->md, got);
	if (strlen(sha) != 64 || strcasecmp(got, sha) != 0) {
		savefile_abort(f);
		return -EBADMSG;
	}
	/* On disk before it has a name: a crash leaves a dot file, never half a file. */
	if (fsync(f->fd) < 0) {
		r = -errno;
		savefile_abort(f);
		return r;
	}
	savefile_clean_name(name, clean);
	r = take_name(f, clean, ret_shown);
	savefile_abort(f); /* the temporary name goes; the file stays under its own */
	return r;
}

void savefile_abort(struct savefile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	if (f->tmp[0])
		unlink(f->tmp);
	f->tmp[0] = '\0';
	EVP_MD_CTX_free(f->md);
	f->md = NULL;
}
