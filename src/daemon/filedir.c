/* SPDX-License-Identifier: ISC */
/*
 * filedir.c - the files directory (filedir.h): kept files by SHA-256, temp files, the quota.
 */
#include "filedir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct filedir {
	int fd;        /* the directory */
	int tmp_fd;    /* its temp directory */
	bool private;  /* made by filedir_open() under $TMPDIR: removed at close */
	unsigned next; /* the next temp name's number */
	uint64_t max_bytes, used;
	char tmp[72]; /* the temp directory's name in it */
	char path[4096];
};

static bool is_hex(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* A kept file's name in its subdirectory: 64 lower-case hex digits, nothing else. */
static bool is_kept_name(const char *name)
{
	return strlen(name) == FILE_SHA_HEX && is_hex(name, FILE_SHA_HEX);
}

/* "ab/abcdef..." for @sha, or "ab/abcdef....type". */
static void kept_path(char *buf, size_t len, const char *sha, const char *suffix)
{
	snprintf(buf, len, "%.2s/%s%s", sha, sha, suffix);
}

/* Open the subdirectory @name of @dirfd, creating it (0700) if it is not there. */
static int open_subdir(int dirfd, const char *name, bool create)
{
	int fd;

	if (create && mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Remove every plain file in the directory @dirfd (a temp directory, a subdirectory). */
static void empty_dir(int dirfd)
{
	int fd = dup(dirfd);
	DIR *dir = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(dir);
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.')
			unlinkat(dirfd, e->d_name, 0);
	closedir(dir);
}

/* Whether @name in the subdirectory @fd is a kept file's .type without its file. */
static bool is_orphan_type(int fd, const char *name)
{
	char file[FILE_SHA_HEX + 1];

	if (strlen(name) != FILE_SHA_HEX + 5 || !is_hex(name, FILE_SHA_HEX) ||
	    strcmp(name + FILE_SHA_HEX, ".type") != 0)
		return false;
	memcpy(file, name, FILE_SHA_HEX);
	file[FILE_SHA_HEX] = '\0';
	return faccessat(fd, file, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT;
}

/*
 * Call @cb for each kept file in the subdirectory @sub (two hex digits). A .type without its
 * file (a crash between the two renames) is removed.
 */
static int each_in(struct filedir *d, const char *sub,
		   int (*cb)(const char *sha, uint64_t size, void *arg), void *arg)
{
	int fd = open_subdir(d->fd, sub, false), r = 0;
	DIR *dir = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while (r == 0 && (e = readdir(dir))) {
		struct stat st;

		if (is_orphan_type(fd, e->d_name)) {
			unlinkat(fd, e->d_name, 0);
			continue;
		}
		if (!is_kept_name(e->d_name) || strncmp(e->d_name, sub, 2) != 0)
			continue;
		if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		r = cb(e->d_name, (uint64_t)st.st_size, arg);
	}
	closedir(dir);
	return r;
}

int filedir_each(struct filedir *d, int (*cb)(const char *sha, uint64_t size, void *arg), void *arg)
{
	int fd = dup(d->fd), r = 0;
	DIR *dir = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	rewinddir(dir);
	while (r == 0 && (e = readdir(dir)))
		if (strlen(e->d_name) == 2 && is_hex(e->d_name, 2))
			r = each_in(d, e->d_name, cb, arg);
	closedir(dir);
	return r;
}

static int count_one(const char *sha, uint64_t size, void *arg)
{
	struct filedir *d = arg;

	d->used += file_quota_cost(size);
	return 0;
}

/* A private directory under $TMPDIR: with store = memory or off and no files_dir. */
static int make_private(struct filedir *d)
{
	const char *tmpdir = getenv("TMPDIR");

	if (!tmpdir || tmpdir[0] != '/')
		tmpdir = "/tmp";
	snprintf(d->path, sizeof(d->path), "%s/frontdeskd-files-XXXXXX", tmpdir);
	if (!mkdtemp(d->path))
		return -errno;
	d->private = true;
	return 0;
}

static int open_dirs(struct filedir *d, const char *path, const char **why)
{
	int r;

	*why = "cannot create the files directory";
	if (!path) {
		r = make_private(d);
		if (r < 0)
			return r;
	} else {
		snprintf(d->path, sizeof(d->path), "%s", path);
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return -errno;
	}
	*why = "cannot open the files directory";
	d->fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->fd < 0)
		return -errno;
	*why = "cannot create its temporary directory";
	d->tmp_fd = open_subdir(d->fd, d->tmp, true);
	if (d->tmp_fd < 0)
		return d->tmp_fd;
	/* Whether we may write there, now, not at the first upload. */
	*why = "cannot write in the files directory";
	r = filedir_tmp_create(d, (char[FILEDIR_TMP_BUFSIZE]){ 0 });
	if (r < 0)
		return r;
	close(r);
	return 0;
}

int filedir_open(const char *path, const char *tmp, uint64_t max_bytes, struct filedir **ret,
		 const char **ret_why)
{
	struct filedir *d = calloc(1, sizeof(*d));
	int r;

	*ret_why = "out of memory";
	if (!d)
		return -ENOMEM;
	d->fd = d->tmp_fd = -1;
	d->max_bytes = max_bytes;
	snprintf(d->tmp, sizeof(d->tmp), "%s", tmp);
	r = open_dirs(d, path, ret_why);
	if (r < 0) {
		filedir_close(d);
		return r;
	}
	empty_dir(d->tmp_fd); /* a previous run's uploads in progress, and our test file */
	*ret_why = "cannot read the files directory";
	r = filedir_each(d, count_one, d);
	if (r < 0) {
		filedir_close(d);
		return r;
	}
	*ret = d;
	return 0;
}

/* Remove a private directory: its temp directory, its subdirectories, their files. */
static void remove_private(struct filedir *d)
{
	int fd = dup(d->fd);
	DIR *dir = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;

	if (d->tmp_fd >= 0) {
		empty_dir(d->tmp_fd);
		unlinkat(d->fd, d->tmp, AT_REMOVEDIR);
	}
	if (dir)
		rewinddir(dir); /* a dup() shares the offset a walk left at the end */
	while (dir && (e = readdir(dir))) {
		int sub;

		if (e->d_name[0] == '.' || (sub = open_subdir(d->fd, e->d_name, false)) < 0)
			continue;
		empty_dir(sub);
		close(sub);
		unlinkat(d->fd, e->d_name, AT_REMOVEDIR);
	}
	if (dir)
		closedir(dir);
	else if (fd >= 0)
		close(fd);
	rmdir(d->path);
}

void filedir_close(struct filedir *d)
{
	if (!d)
		return;
	if (d->private && d->fd >= 0)
		remove_private(d);
	if (d->tmp_fd >= 0)
		close(d->tmp_fd);
	if (d->fd >= 0)
		close(d->fd);
	free(d);
}

const char *filedir_path(const struct filedir *d)
{
	return d->path;
}

uint64_t filedir_used(const struct filedir *d)
{
	return d->used;
}

/*
 * Counted by st_size alone, a flood of 1-byte files passed a 1 GiB quota a thousand times over
 * on the disk: file_quota_cost() counts blocks, as the disk takes them.
 */
int filedir_reserve(struct filedir *d, uint64_t size)
{
	size = file_quota_cost(size); /* UINT64_MAX, past any quota, when too large to count */
	if (d->used > d->max_bytes || size > d->max_bytes - d->used)
		return -ENOSPC;
	d->used += size;
	return 0;
}

void filedir_release(struct filedir *d, uint64_t size)
{
	size = file_quota_cost(size);
	d->used = size < d->used ? d->used - size : 0;
}

int filedir_tmp_create(struct filedir *d, char name[FILEDIR_TMP_BUFSIZE])
{
	int fd;

	snprintf(name, FILEDIR_TMP_BUFSIZE, "up-%u", d->next++);
	fd = openat(d->tmp_fd, name, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	return fd < 0 ? -errno : fd;
}

void filedir_tmp_remove(struct filedir *d, const char *name)
{
	unlinkat(d->tmp_fd, name, 0);
}

/* fsync a directory, so that a rename in it survives a crash. */
static int sync_dir(int dirfd, const char *name)
{
	int fd = open_subdir(dirfd, name, false), r = 0;

	if (fd < 0)
		return fd;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Write "@type\n" to @sub/@sha.type (through a temp name), unless it is there already. */
static int keep_type(struct filedir *d, const char *name, const char *sha, const char *type)
{
	char tname[FILEDIR_TMP_BUFSIZE + 8], path[FILE_SHA_HEX + 16];
	size_t len = strlen(type);
	int fd, r = 0;

	kept_path(path, sizeof(path), sha, ".type");
	if (faccessat(d->fd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	snprintf(tname, sizeof(tname), "%s.type", name);
	fd = openat(d->tmp_fd, tname, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	errno = 0;
	if (write(fd, type, len) != (ssize_t)len || write(fd, "\n", 1) != 1 || fsync(fd) < 0)
		r = errno ? -errno : -EIO;
	close(fd);
	if (r == 0 && renameat(d->tmp_fd, tname, d->fd, path) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(d->tmp_fd, tname, 0);
	return r;
}

int filedir_keep(struct filedir *d, const char *name, int fd, const char *sha, const char *type,
		 bool *ret_dup)
{
	char sub[3] = { sha[0], sha[1], '\0' }, path[FILE_SHA_HEX + 16];
	int subfd, r;

	*ret_dup = false;
	if (fsync(fd) < 0)
		return -errno;
	subfd = open_subdir(d->fd, sub, true);
	if (subfd < 0)
		return subfd;
	close(subfd);
	kept_path(path, sizeof(path), sha, "");
	if (faccessat(d->fd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		/* Content-addressed: the same bytes are kept once. */
		*ret_dup = true;
		filedir_tmp_remove(d, name);
		return 0;
	}
	/* Its type first: a kept file always has one. */
	r = keep_type(d, name, sha, type);
	if (r < 0)
		return r;
	if (renameat(d->tmp_fd, name, d->fd, path) < 0)
		return -errno;
	return sync_dir(d->fd, sub);
}

/* The first line of @sha's .type, if it is a media type; else FILE_TYPE_DEFAULT. */
static void read_type(struct filedir *d, const char *sha, char type[FILE_TYPE_BUFSIZE])
{
	char path[FILE_SHA_HEX + 16], buf[FILE_TYPE_BUFSIZE + 1];
	int fd;
	ssize_t n = -1;

	kept_path(path, sizeof(path), sha, ".type");
	fd = openat(d->fd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf));
		close(fd);
	}
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	file_type_normalise(buf, n > 0 ? (size_t)n : 0, type);
}

int filedir_open_kept(struct filedir *d, const char *sha, uint64_t *ret_size,
		      char type[FILE_TYPE_BUFSIZE])
{
	char path[FILE_SHA_HEX + 16];
	struct stat st;
	int fd;

	if (!is_kept_name(sha))
		return -ENOENT;
	kept_path(path, sizeof(path), sha, "");
	fd = openat(d->fd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -ENOENT;
	}
	*ret_size = (uint64_t)st.st_size;
	read_type(d, sha, type);
	return fd;
}

int filedir_remove(struct filedir *d, const char *sha)
{
	char path[FILE_SHA_HEX + 16];
	struct stat st;

	if (!is_kept_name(sha))
		return -ENOENT;
	kept_path(path, sizeof(path), sha, "");
	if (fstatat(d->fd, path, &st, AT_SYMLINK_NOFOLLOW) < 0 || unlinkat(d->fd, path, 0) < 0)
		return -errno;
	filedir_release(d, (uint64_t)st.st_size);
	kept_path(path, sizeof(path), sha, ".type");
	unlinkat(d->fd, path, 0);
	return 0;
}
