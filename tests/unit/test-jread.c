/* SPDX-License-Identifier: ISC */
/* test-jread.c - frontdeskctl's JSON reader: what it takes, what it refuses, and where. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jread.h"

static struct jvalue *parse_ok(const char *text)
{
	struct jread_error err = { 0, NULL };
	struct jvalue *v = NULL;
	int r = jread_parse(text, strlen(text), &v, &err);

	if (r != 0)
		fail_msg("'%s': %d at %zu: %s", text, r, err.offset, err.why);
	return v;
}

/* @text refused with @code; the offset and reason of the error in *@ret. */
static void refused(const char *text, size_t len, int code, struct jread_error *ret)
{
	struct jvalue *v = (struct jvalue *)&v; /* untouched on failure */
	struct jvalue *before = v;
	struct jread_error err = { 0, NULL };

	assert_int_equal(jread_parse(text, len, &v, &err), code);
	assert_ptr_equal(v, before);
	assert_non_null(err.why);
	if (ret)
		*ret = err;
}

static void refuse(const char *text)
{
	refused(text, strlen(text), -EINVAL, NULL);
}

static void test_status_document(void **state)
{
	struct jvalue *doc = parse_ok(
	    "{\"version\": \"0.2.0\", \"mode\": \"single-agent\", \"ready\": true,\n"
	    " \"not_ready\": null, \"uptime_seconds\": 3600, \"cluster\": null,\n"
	    " \"connections\": [{\"role\": \"customer\", \"protocol\": \"framed\", \"count\": "
	    "3}],\n"
	    " \"store\": {\"backend\": \"sqlite\", \"last_id\": 1234, \"writable\": false},\n"
	    " \"line\": {\"length\": 2, \"waiting\": [{\"position\": 1}, {\"position\": 2}]}}");
	const struct jvalue *conns, *line, *w;
	int64_t n;
	bool b;

	assert_true(jread_is(doc, JOBJECT));
	assert_int_equal(doc->len, 9);
	assert_string_equal(jread_string(doc, "version"), "0.2.0");
	assert_true(jread_bool(doc, "ready", &b) && b);
	assert_true(jread_is(jread_member(doc, "not_ready"), JNULL));
	assert_null(jread_string(doc, "not_ready"));
	assert_true(jread_int(doc, "uptime_seconds", &n));
	assert_int_equal(n, 3600);
	conns = jread_member(doc, "connections");
	assert_true(jread_is(conns, JARRAY));
	assert_int_equal(conns->len, 1);
	assert_string_equal(jread_string(conns->first, "protocol"), "framed");
	assert_true(jread_int(jread_member(doc, "store"), "last_id", &n));
	assert_int_equal(n, 1234);
	assert_true(jread_bool(jread_member(doc, "store"), "writable", &b) && !b);
	line = jread_member(doc, "line");
	w = jread_member(line, "waiting")->first;
	assert_true(jread_int(w->next, "position", &n));
	assert_int_equal(n, 2);
	assert_null(w->next->next);
	jread_free(doc);
}

/* Lookups on what is absent or of another type answer "absent", never crash. */
static void test_lookups_forgive(void **state)
{
	struct jvalue *doc = parse_ok("{\"s\": \"x\", \"n\": 1.5, \"big\": 1e300, \"a\": [1]}");
	int64_t n = 7;
	bool b = true;

	assert_null(jread_member(NULL, "s"));
	assert_null(jread_member(doc, "missing"));
	assert_null(jread_string(doc, "n"));
	assert_false(jread_int(doc, "s", &n));
	assert_false(jread_int(doc, "n", &n));   /* not whole */
	assert_false(jread_int(doc, "big", &n)); /* not exact */
	assert_int_equal(n, 7);
	assert_false(jread_bool(doc, "s", &b));
	assert_true(b);
	assert_null(jread_member(jread_member(doc, "a"), "x")); /* an array has no members */
	assert_null(jread_string(jread_member(doc, "nothing"), "x"));
	jread_free(doc);
	jread_free(NULL);
}

static void test_scalars(void **state)
{
	struct jvalue *v;

	v = parse_ok("  -12.5e1 ");
	assert_int_equal(v->type, JNUMBER);
	assert_true(v->num == -125.0);
	jread_free(v);
	v = parse_ok("0");
	assert_true(v->type == JNUMBER && v->num == 0);
	jread_free(v);
	v = parse_ok("false");
	assert_true(v->type == JBOOL && !v->b);
	jread_free(v);
	v = parse_ok("null");
	assert_int_equal(v->type, JNULL);
	jread_free(v);
	v = parse_ok("[]");
	assert_true(v->type == JARRAY && v->len == 0 && !v->first);
	jread_free(v);
	v = parse_ok("{}");
	assert_true(v->type == JOBJECT && v->len == 0);
	jread_free(v);
}

static void test_strings(void **state)
{
	struct jvalue *v;

	v = parse_ok("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"");
	assert_string_equal(v->str, "a\"b\\c/d\b\f\n\r\t");
	assert_int_equal(v->len, 12);
	jread_free(v);
	v = parse_ok("\"\\u00e9\\u20AC\\ud83d\\ude00 Zoë 渡辺\"");
	assert_string_equal(v->str, "é€😀 Zoë 渡辺");
	jread_free(v);
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"  ",
		"{",
		"[1,]",
		"[1 2]",
		"{\"a\" 1}",
		"{\"a\":}",
		"{a:1}",
		"{\"a\":1,}",
		"tru",
		"nul",
		"01",
		"-",
		"1.",
		".5",
		"1e",
		"+1",
		"0x10",
		"\"abc",
		"\"\\x\"",
		"\"\\u12\"",
		"\"\\ud800\"",
		"\"\\udc00\"",
		"\"\\ud800\\u0041\"",
		"\"\\u0000\"",
		"\"a\tb\"",
		"1 2",
		"{} x",
		"\"\xc3\x28\"",
		"\"\xed\xa0\x80\"",
		"1e999",
		"[1]]",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct jread_error err;

		refused(bad[i], strlen(bad[i]), -EINVAL, &err);
		assert_true(err.offset <= strlen(bad[i]));
	}
	/* A NUL byte is not white space, nor anything else. */
	refused("[1]\0", 4, -EINVAL, NULL);
	refused("\"a\0b\"", 5, -EINVAL, NULL);
	refuse("[\"unterminated");
}

static void test_error_position(void **state)
{
	struct jread_error err;

	refused("{\"a\": 1, \"b\" 2}", 15, -EINVAL, &err);
	assert_int_equal(err.offset, 13);
	assert_string_equal(err.why, "expected ':'");
	refused("[1, 2", 5, -EINVAL, &err);
	assert_int_equal(err.offset, 5);
}

/* The depth limit: deep enough for /status, and a hostile nest is refused, not recursed. */
static void test_depth(void **state)
{
	char deep[4 * JREAD_MAX_DEPTH + 8], *p = deep;
	struct jvalue *v;
	char *huge;

	for (int i = 0; i < JREAD_MAX_DEPTH; i++)
		*p++ = '[';
	for (int i = 0; i < JREAD_MAX_DEPTH; i++)
		*p++ = ']';
	*p = '\0';
	v = parse_ok(deep);
	jread_free(v);

	memmove(deep + 1, deep, strlen(deep) + 1);
	deep[0] = '[';
	strcat(deep, "]");
	refused(deep, strlen(deep), -ELOOP, NULL);

	huge = malloc(1000001);
	assert_non_null(huge);
	memset(huge, '[', 1000000);
	huge[1000000] = '\0';
	refused(huge, 1000000, -ELOOP, NULL);
	memset(huge, '{', 1000000);
	refused(huge, 1000000, -EINVAL, NULL); /* a member's name is expected first */
	for (int i = 0; i < 1000000 - 6; i += 6)
		memcpy(huge + i, "{\"a\": ", 6);
	refused(huge, 999996, -ELOOP, NULL);
	free(huge);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_document), cmocka_unit_test(test_lookups_forgive),
		cmocka_unit_test(test_scalars),         cmocka_unit_test(test_strings),
		cmocka_unit_test(test_refused),         cmocka_unit_test(test_error_position),
		cmocka_unit_test(test_depth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
