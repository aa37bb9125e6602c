/* SPDX-License-Identifier: ISC */
/*
 * test-filedir.c - the files directory (filedir.h) on a real temporary directory: temp files,
 * keeping by SHA-256 (and a second copy kept once), the type beside it, the quota from the
 * offers and from a walk at start, the walk and the removal that retention uses, a private
 * directory removed at close.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "filedir.h"

#define SHA_A "aa00000000000000000000000000000000000000000000000000000000000001"
#define SHA_B "bb00000000000000000000000000000000000000000000000000000000000002"

static char top[64];
static char dir[96];

static int setup(void **state)
{
	snprintf(top, sizeof(top), "/tmp/test-filedir-XXXXXX");
	assert_non_null(mkdtemp(top));
	snprintf(dir, sizeof(dir), "%s/files", top);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd);
}

static unsigned entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	unsigned n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* An upload of @text, kept as @sha: returns whether it was a duplicate. */
static bool keep(struct filedir *d, const char *text, const char *sha, const char *type)
{
	char name[FILEDIR_TMP_BUFSIZE];
	size_t len = strlen(text);
	int fd;
	bool dup;

	assert_int_equal(filedir_reserve(d, len), 0);
	fd = filedir_tmp_create(d, name);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(filedir_keep(d, name, fd, sha, type, &dup), 0);
	close(fd);
	if (dup)
		filedir_release(d, len);
	return dup;
}

static int count(const char *sha, uint64_t size, void *arg)
{
	(*(unsigned *)arg)++;
	return 0;
}

static int remove_each(const char *sha, uint64_t size, void *arg)
{
	assert_int_equal(filedir_remove(arg, sha), 0);
	return 0;
}

static void test_keep_and_read(void **state)
{
	struct filedir *d;
	const char *why;
	char type[FILE_TYPE_BUFSIZE], path[256], buf[16];
	uint64_t size;
	struct stat st;
	int fd;

	assert_int_equal(filedir_open(dir, "tmp", 1 << 20, &d, &why), 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_false(keep(d, "hello", SHA_A, "text/plain"));
	assert_true(keep(d, "hello", SHA_A, "image/png")); /* the same bytes: kept once */
	/* A block, and one for its .type. */
	assert_int_equal(filedir_used(d), 2 * 4096);
	fd = filedir_open_kept(d, SHA_A, &size, type);
	assert_true(fd >= 0);
	assert_int_equal(size, 5);
	assert_string_equal(type, "text/plain"); /* the first one's */
	assert_int_equal(read(fd, buf, sizeof(buf)), 5);
	close(fd);
	snprintf(path, sizeof(path), "%s/aa/" SHA_A, dir);
	assert_int_equal(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/tmp", dir);
	assert_int_equal(entries(path), 0);
	assert_int_equal(filedir_open_kept(d, SHA_B, &size, type), -ENOENT);
	assert_int_equal(filedir_open_kept(d, "../../etc/passwd", &size, type), -ENOENT);
	filedir_close(d);
}

static void test_quota(void **state)
{
	struct filedir *d;
	const char *why;
	char name[FILEDIR_TMP_BUFSIZE], path[256];
	unsigned n = 0;
	int fd;

	/* Room for one small file: a file costs its blocks (one at least) and its .type's. */
	assert_int_equal(filedir_open(dir, "tmp", 3 * 4096, &d, &why), 0);
	assert_int_equal(filedir_reserve(d, 8), 0);
	assert_int_equal(filedir_reserve(d, 3), -ENOSPC);
	filedir_release(d, 8);
	assert_false(keep(d, "12345678", SHA_B, "x/y"));
	/* A restart counts what is kept, and empties what was half uploaded. */
	fd = filedir_tmp_create(d, name);
	assert_true(fd >= 0);
	close(fd);
	filedir_close(d);
	assert_int_equal(filedir_open(dir, "tmp", 3 * 4096, &d, &why), 0);
	assert_int_equal(filedir_used(d), 2 * 4096);
	snprintf(path, sizeof(path), "%s/tmp", dir);
	assert_int_equal(entries(path), 0);
	assert_int_equal(filedir_reserve(d, 3), -ENOSPC);
	assert_int_equal(filedir_each(d, count, &n), 0);
	assert_int_equal(n, 1);
	/* Retention: each file, removed as it is walked; .type files go with theirs. */
	assert_int_equal(filedir_each(d, remove_each, d), 0);
	assert_int_equal(filedir_used(d), 0);
	snprintf(path, sizeof(path), "%s/bb", dir);
	assert_int_equal(entries(path), 0);
	assert_int_equal(filedir_remove(d, SHA_B), -ENOENT);
	filedir_close(d);
}

/* A .type whose file never came (a crash, a failed rename between the two) goes at start. */
static void test_orphan_type_removed(void **state)
{
	struct filedir *d;
	const char *why;
	char path[256];
	FILE *f;

	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/aa", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/aa/" SHA_A ".type", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("text/html\n", f);
	fclose(f);
	assert_int_equal(filedir_open(dir, "tmp", 1 << 20, &d, &why), 0);
	snprintf(path, sizeof(path), "%s/aa", dir);
	assert_int_equal(entries(path), 0);
	assert_int_equal(filedir_used(d), 0);
	/* A kept file's own .type stays. */
	assert_false(keep(d, "hello", SHA_A, "text/plain"));
	filedir_close(d);
	assert_int_equal(filedir_open(dir, "tmp", 1 << 20, &d, &why), 0);
	assert_int_equal(entries(path), 2);
	filedir_close(d);
}

static void test_private_removed_at_close(void **state)
{
	struct filedir *d;
	const char *why;

	setenv("TMPDIR", top, 1);
	assert_int_equal(filedir_open(NULL, "tmp", 1 << 20, &d, &why), 0);
	assert_false(keep(d, "gone at close", SHA_A, "text/plain"));
	assert_int_equal(entries(top), 1);
	filedir_close(d);
	assert_int_equal(entries(top), 0);
	unsetenv("TMPDIR");
}

static void test_cannot_create(void **state)
{
	struct filedir *d;
	const char *why;

	assert_true(filedir_open("/proc/no-such-files", "tmp", 100, &d, &why) < 0);
	assert_string_equal(why, "cannot create the files directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keep_and_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quota, setup, teardown),
		cmocka_unit_test_setup_teardown(test_orphan_type_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_removed_at_close, setup, teardown),
		cmocka_unit_test(test_cannot_create),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
