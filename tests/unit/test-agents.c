/* SPDX-License-Identifier: ISC */
/*
 * test-agents.c - agents_file: its lines, its errors with their line numbers, and who may be
 * which agent (agents.h). Users are root and nobody, which every system has; keys are files
 * made here.
 */
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

#include "agents.h"
#include "auth.h"
#include "nick.h"

static char dir[64];

/* A file in the test's directory with @text, mode @mode; its path in @path. */
static void write_file(const char *name, const char *text, mode_t mode, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test-agents-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static int load(const char *text, struct agents **a, char **errors, char *path, size_t len)
{
	write_file("agents", text, 0644, path, len);
	return agents_load(path, a, errors);
}

static void key_id(const char *bytes, unsigned char id[AGENTS_KEY_ID_BYTES])
{
	struct auth_key k;

	k.len = strlen(bytes);
	memcpy(k.bytes, bytes, k.len);
	agents_key_id(&k, id);
}

static void test_who_may_be_whom(void **state)
{
	char path[128], ka[128], kb[128], ka2[128], text[1024], *errors = NULL;
	unsigned char ida[AGENTS_KEY_ID_BYTES], idb[AGENTS_KEY_ID_BYTES];
	struct agents_cred root = { .kind = AGENTS_CRED_UID, .uid = 0 };
	struct agents_cred nobody = { .kind = AGENTS_CRED_UID, .uid = 65534 };
	struct agents_cred a = { .kind = AGENTS_CRED_KEY, .key_id = ida };
	struct agents_cred b = { .kind = AGENTS_CRED_KEY, .key_id = idb };
	struct agents_cred console = { .kind = AGENTS_CRED_CONSOLE };
	struct agents_cred none = { .kind = AGENTS_CRED_NONE };
	struct agents *list = NULL;

	/* The same bytes in two files are one key; a trailing newline is not part of it. */
	write_file("a.key", "alice's key, long enough\n", 0600, ka, sizeof(ka));
	write_file("a2.key", "alice's key, long enough", 0640, ka2, sizeof(ka2));
	write_file("b.key", "bob's key, also long enough", 0600, kb, sizeof(kb));
	key_id("alice's key, long enough", ida);
	key_id("bob's key, also long enough", idb);
	snprintf(text, sizeof(text),
		 "# agents\n\n  mary user=root\t# the boss\nalice key=%s key=%s\n"
		 "bob key=%s user=nobody #comment\n#x user=root\ntom#2 user=root\n",
		 ka, ka2, kb);
	assert_int_equal(load(text, &list, &errors, path, sizeof(path)), 0);
	assert_null(errors);
	assert_int_equal(agents_count(list), 4);
	assert_int_equal(agents_nkeys(list), 2);
	assert_true(agents_has_key(list, ida));
	assert_int_equal(agents_check(list, "mary", &root), AGENTS_ALLOWED);
	assert_int_equal(agents_check(list, "mary", &nobody), AGENTS_WRONG_CRED);
	assert_int_equal(agents_check(list, "mary", &a), AGENTS_WRONG_CRED);
	assert_int_equal(agents_check(list, "alice", &a), AGENTS_ALLOWED);
	assert_int_equal(agents_check(list, "alice", &b), AGENTS_WRONG_CRED);
	assert_int_equal(agents_check(list, "bob", &b), AGENTS_ALLOWED);
	assert_int_equal(agents_check(list, "bob", &nobody), AGENTS_ALLOWED);
	assert_int_equal(agents_check(list, "tom#2", &root), AGENTS_ALLOWED);
	assert_int_equal(agents_check(list, "x", &root), AGENTS_UNLISTED);
	assert_int_equal(agents_check(list, "Mary", &root), AGENTS_UNLISTED);
	assert_int_equal(agents_check(list, "mary", &none), AGENTS_WRONG_CRED);
	assert_int_equal(agents_check(list, "anyone", &console), AGENTS_ALLOWED);
	agents_free(list);
}

static void test_errors_with_their_lines(void **state)
{
	char path[128], kshort[128], kopen[128], text[1024], want[2048], *errors = NULL;
	struct agents *list = NULL;

	write_file("short.key", "too short", 0600, kshort, sizeof(kshort));
	write_file("open.key", "long enough but others can read it", 0604, kopen, sizeof(kopen));
	snprintf(text, sizeof(text),
		 "mary user=root\nmary user=root\nann\nbob key=%s\ncid key=%s\n"
		 "dan user=root user=\n-eve user=root\n",
		 kshort, kopen);
	assert_int_equal(load(text, &list, &errors, path, sizeof(path)), -EINVAL);
	assert_null(list);
	snprintf(want, sizeof(want),
		 "%s:2: mary is already listed on line 1\n"
		 "%s:3: ann: no user= or key=, so nobody could be this agent\n"
		 "%s:4: key=%s: shorter than 16 bytes, easy to guess\n"
		 "%s:5: key=%s: others may access it (chmod o-rwx)\n"
		 "%s:6: dan: 'user=' is neither user=UNIXUSER nor key=PATH\n"
		 "%s:7: '-eve' is not a nickname: " FD_NICK_RULE "\n",
		 path, path, path, kshort, path, kopen, path, path);
	assert_string_equal(errors, want);
	free(errors);
}

static void test_missing_file(void **state)
{
	struct agents *list = NULL;
	char *errors = NULL, path[128];

	snprintf(path, sizeof(path), "%s/none", dir);
	assert_int_equal(agents_load(path, &list, &errors), -ENOENT);
	assert_non_null(strstr(errors, "cannot open"));
	free(errors);
	agents_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_who_may_be_whom),
		cmocka_unit_test(test_errors_with_their_lines),
		cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
