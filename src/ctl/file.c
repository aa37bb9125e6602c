/* SPDX-License-Identifier: ISC */
/*
 * file.c - "frontdeskctl file SHA256 [-o PATH]": a kept file's bytes (issue 19), so that an
 * admin can open a file a transcript names ("SHA256 SIZE TYPE NAME"). Read from files_dir as
 * the daemon finds it (files.c there): the configuration's files_dir, else "files" beside the
 * SQLite store (--store sqlite:PATH moves that too); kept as "ab/abcdef...".
 *
 * The bytes go to standard output, never to a terminal (a file's bytes are not text and may be
 * escape sequences), or to PATH, made 0600 and never over an existing file: what a customer
 * sent should not replace anything of the admin's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"
#include "fileproto.h"

/* The files directory into @buf, from the configuration and --store; -1 once said. */
static int files_dir(const struct ctl *c, char *buf, size_t len)
{
	struct config cfg;
	const char *file, *store, *slash;

	if (ctl_config(c, &cfg, &file) < 0)
		return -1;
	if (cfg.files_dir[0]) {
		snprintf(buf, len, "%s", cfg.files_dir);
		return 0;
	}
	store = c->store ? c->store + 7 : cfg.store == CONFIG_STORE_SQLITE ? cfg.store_path : NULL;
	if (!store) {
		ctl_error("the daemon keeps files in a private temporary directory (store = memory "
			  "or off, and no files_dir): nothing to read after it");
		return -1;
	}
	slash = strrchr(store, '/');
	if (snprintf(buf, len, "%.*s%sfiles", slash ? (int)(slash - store) : 0, store,
		     slash ? "/" : "") >= (int)len) {
		ctl_error("the files directory's path is too long");
		return -1;
	}
	return 0;
}

/* All of @in to @out. Return: 0 or -errno. */
static int copy(int in, int out)
{
	char buf[65536];
	ssize_t n, w;

	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (ssize_t done = 0; done < n; done += w) {
			w = write(out, buf + done, (size_t)(n - done));
			if (w < 0 && errno == EINTR)
				w = 0;
			else if (w < 0)
				return -errno;
		}
	}
	return 0;
}

/* The kept file @sha under @dir, opened; -1 once said. */
static int open_kept(const char *dir, const char *sha)
{
	char path[4096 + FILE_SHA_BUFSIZE + 4];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/%.2s/%s", dir, sha, sha);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0 && errno == ENOENT) {
		ctl_error("no file %s in %s: never sent, removed with the messages that named it, "
			  "or kept by another node",
			  sha, dir);
		return -1;
	}
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		ctl_error("cannot read %s: %s", path, fd < 0 ? strerror(errno) : "not a file");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int ctl_file(const struct ctl *c)
{
	char sha[FILE_SHA_BUFSIZE], dir[4096];
	int in, out, r;

	if (file_sha_parse(c->args[0], strlen(c->args[0]), sha) < 0)
		return ctl_usage_error("file: '%s' is not a SHA-256 (64 hex digits)", c->args[0]);
	if (!c->output && isatty(STDOUT_FILENO)) {
		ctl_error("a file's bytes are not for a terminal: give -o PATH, or redirect");
		return CTL_ERROR;
	}
	if (files_dir(c, dir, sizeof(dir)) < 0)
		return CTL_ERROR;
	in = open_kept(dir, sha);
	if (in < 0)
		return CTL_ERROR;
	out = c->output ? open(c->output, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)
			: STDOUT_FILENO;
	if (out < 0) {
		ctl_error("cannot create %s: %s", c->output, strerror(errno));
		close(in);
		return CTL_ERROR;
	}
	r = copy(in, out);
	close(in);
	if (r < 0)
		ctl_error("cannot copy the file: %s", strerror(-r));
	if (c->output && close(out) < 0 && r == 0) {
		r = -errno;
		ctl_error("cannot write %s: %s", c->output, strerror(-r));
	}
	if (r < 0 && c->output)
		unlink(c->output);
	return r < 0 ? CTL_ERROR : CTL_OK;
}
