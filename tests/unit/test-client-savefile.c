/* SPDX-License-Identifier: ISC */
/*
 * test-client-savefile.c - a received file on its way to the download directory (savefile.h):
 * the name made safe, the directory made, a mismatch not kept, names that collide suffixed.
 * The mismatch is tested here because no daemon of ours delivers damaged bytes.
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

#include "savefile.h"

/* SHA-256 of "hello\n". */
static const char hello_sha[] = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";

static char dir[256];

static int make_dir(void **state)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/test-savefile-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

/* The files in @sub of the test's directory, dot files too; the directory removed at the end. */
static int count_files(const char *sub)
{
	char path[512];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s%s", dir, sub);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static int remove_dir(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void clean(const char *in, const char *want)
{
	char out[SAVEFILE_NAME_MAX + 1];

	savefile_clean_name(in, out);
	assert_string_equal(out, want);
}

static void test_clean_name(void **state)
{
	char longname[400], out[SAVEFILE_NAME_MAX + 1];

	clean("invoice.pdf", "invoice.pdf");
	clean("../../etc/passwd", "passwd");
	clean("C:\\Users\\ann\\report.txt", "report.txt");
	clean("..", "file");
	clean(".bashrc", "bashrc");
	clean("...hidden", "hidden");
	clean("a\x01"
	      "b\x7f"
	      "c\td.txt",
	      "abcd.txt");
	clean("dir/", "file");
	clean("", "file");
	clean("bidi\xe2\x80\xaegpj.exe", "bidigpj.exe"); /* U+202E: a right-to-left override */
	clean("my file -- copy.png", "my file -- copy.png");
	/* 200 two-byte characters: cut at a character, at most 128 bytes. */
	for (int i = 0; i < 200; i++)
		memcpy(longname + 2 * i, "\xc3\xa9", 2);
	longname[400 - 1] = '\0';
	savefile_clean_name(longname, out);
	assert_int_equal(strlen(out), 128);
	memcpy(longname, "x", 1); /* now odd: the cut must not split a character */
	savefile_clean_name(longname, out);
	assert_int_equal(strlen(out), 127);
}

static void save(const char *data, const char *sha, const char *name, int want_r,
		 const char *want_shown)
{
	struct savefile f;
	char shown[SAVEFILE_SHOWN_MAX];
	char sub[300];

	snprintf(sub, sizeof(sub), "%s/got/here", dir);
	assert_int_equal(savefile_open(&f, sub), 0);
	assert_int_equal(savefile_write(&f, data, strlen(data)), 0);
	assert_int_equal(savefile_keep(&f, sha, name, shown), want_r);
	if (want_shown)
		assert_string_equal(shown, want_shown);
}

static void test_keep(void **state)
{
	struct stat st;
	char path[512];

	save("hello\n", hello_sha, "invoice.pdf", 0, "invoice.pdf");
	/* Made with its parents, private. */
	snprintf(path, sizeof(path), "%s/got", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* Names that collide get a suffix, before the extension; nothing is overwritten. */
	save("hello\n", hello_sha, "invoice.pdf", 0, "invoice (1).pdf");
	save("hello\n", hello_sha, "../invoice.pdf", 0, "invoice (2).pdf");
	save("hello\n", hello_sha, "README", 0, "README");
	save("hello\n", hello_sha, "README", 0, "README (1)");
	save("hello\n", "5891B5B522D5DF086D0FF0B110FBD9D21BB4FC7163AF34D08286A2E846F6BE03",
	     "upper.txt", 0, "upper.txt");
	assert_int_equal(count_files("/got/here"), 6); /* and no temporary file left */
}

static void test_mismatch(void **state)
{
	int before = count_files("/got/here");

	/* One byte differs: not kept, and the temporary file is gone. */
	save("hellO\n", hello_sha, "bad.pdf", -EBADMSG, NULL);
	save("hello\n", "00", "bad.pdf", -EBADMSG, NULL);
	assert_int_equal(count_files("/got/here"), before);
}

static void test_abort(void **state)
{
	struct savefile f;
	char sub[300];
	int before;

	snprintf(sub, sizeof(sub), "%s/got/here", dir);
	before = count_files("/got/here");
	assert_int_equal(savefile_open(&f, sub), 0);
	assert_int_equal(savefile_write(&f, "part", 4), 0);
	assert_int_equal(count_files("/got/here"), before + 1);
	savefile_abort(&f);
	savefile_abort(&f); /* twice: a no-op */
	assert_int_equal(count_files("/got/here"), before);
}

static void test_not_a_dir(void **state)
{
	struct savefile f;
	char path[300];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/plain", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(savefile_open(&f, path), -ENOTDIR);
	savefile_abort(&f);
}

/* "~" and "~/x" are the home; "~ann/x" and anything else are left as they are. */
static void test_expand_home(void **state)
{
	char out[256];

	(void)state;
	assert_int_equal(setenv("HOME", "/home/bob", 1), 0);
	assert_int_equal(savefile_expand_home("~/x.pdf", out, sizeof(out)), 0);
	assert_string_equal(out, "/home/bob/x.pdf");
	assert_int_equal(savefile_expand_home("~", out, sizeof(out)), 0);
	assert_string_equal(out, "/home/bob");
	assert_int_equal(savefile_expand_home("~ann/x", out, sizeof(out)), 0);
	assert_string_equal(out, "~ann/x");
	assert_int_equal(savefile_expand_home("a/~/x", out, sizeof(out)), 0);
	assert_string_equal(out, "a/~/x");
	assert_int_equal(savefile_expand_home("~/x", out, 8), -ENAMETOOLONG);
}

/* The home is shown as "~", but only as a whole component. */
static void test_shown_path(void **state)
{
	char out[256];

	(void)state;
	assert_int_equal(setenv("HOME", "/home/bob/", 1), 0);
	savefile_shown_path("/home/bob/Downloads/frontdesk", "a.pdf", out, sizeof(out));
	assert_string_equal(out, "~/Downloads/frontdesk/a.pdf");
	savefile_shown_path("/home/bobby/dl", "a.pdf", out, sizeof(out));
	assert_string_equal(out, "/home/bobby/dl/a.pdf");
	savefile_shown_path("/tmp/dl", "a.pdf", out, sizeof(out));
	assert_string_equal(out, "/tmp/dl/a.pdf");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_name), cmocka_unit_test(test_keep),
		cmocka_unit_test(test_mismatch),   cmocka_unit_test(test_abort),
		cmocka_unit_test(test_not_a_dir),  cmocka_unit_test(test_expand_home),
		cmocka_unit_test(test_shown_path),
	};

	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
