/* SPDX-License-Identifier: ISC */
/*
 * jread.c - a recursive-descent JSON reader (jread.h).
 *
 * One function per production of RFC 8259's grammar, each reading at p->pos and leaving it
 * after what it read. A node is linked into its parent as soon as it exists, so on any error
 * the caller frees the one tree and nothing leaks. Recursion goes only through arrays and
 * objects, and parse_value() refuses to go deeper than JREAD_MAX_DEPTH of them.
 */
#include "jread.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#define MAX_NUMBER_LEN 63                 /* longer is not a number a daemon writes */
#define MAX_EXACT_INT  9007199254740992.0 /* 2^53: doubles are exact integers up to here */

struct parser {
	const char *s;
	size_t len, pos;
	struct jread_error *err;
};

static int parse_value(struct parser *p, int depth, struct jvalue *v);

static int fail(struct parser *p, int r, const char *why)
{
	p->err->offset = p->pos;
	p->err->why = why;
	return r;
}

static void skip_space(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
				   p->s[p->pos] == '\r' || p->s[p->pos] == '\n'))
		p->pos++;
}

/* Whether the next byte is @ch; if so, past it. */
static bool eat(struct parser *p, char ch)
{
	if (p->pos < p->len && p->s[p->pos] == ch) {
		p->pos++;
		return true;
	}
	return false;
}

static bool at_digit(const struct parser *p)
{
	return p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9';
}

static int parse_literal(struct parser *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return fail(p, -EINVAL, "unexpected character");
	p->pos += n;
	return 0;
}

/* -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?, then strtod() on it. */
static int parse_number(struct parser *p, double *ret)
{
	size_t start = p->pos;
	char buf[MAX_NUMBER_LEN + 1];
	double d;

	eat(p, '-');
	if (!at_digit(p))
		return fail(p, -EINVAL, "unexpected character");
	if (!eat(p, '0'))
		while (at_digit(p))
			p->pos++;
	if (eat(p, '.')) {
		if (!at_digit(p))
			return fail(p, -EINVAL, "expected a digit");
		while (at_digit(p))
			p->pos++;
	}
	if (eat(p, 'e') || eat(p, 'E')) {
		if (!eat(p, '+'))
			eat(p, '-');
		if (!at_digit(p))
			return fail(p, -EINVAL, "expected a digit");
		while (at_digit(p))
			p->pos++;
	}
	if (p->pos - start > MAX_NUMBER_LEN)
		return fail(p, -EINVAL, "number too long");
	memcpy(buf, p->s + start, p->pos - start);
	buf[p->pos - start] = '\0';
	d = strtod(buf, NULL); /* the grammar above is strtod's too; no locale is set */
	if (!isfinite(d))
		return fail(p, -EINVAL, "number out of range");
	*ret = d;
	return 0;
}

/* Four hex digits after "\u". */
static int parse_hex4(struct parser *p, uint32_t *ret)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++, p->pos++) {
		char ch = p->pos < p->len ? p->s[p->pos] : '\0';

		if (ch >= '0' && ch <= '9')
			v = v * 16 + (uint32_t)(ch - '0');
		else if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')
			v = v * 16 + (uint32_t)((ch | 0x20) - 'a' + 10);
		else
			return fail(p, -EINVAL, "expected four hex digits after \\u");
	}
	*ret = v;
	return 0;
}

static size_t put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* After "\u": one code point, a surrogate pair taken whole; U+0000 refused. */
static int parse_unicode_escape(struct parser *p, uint32_t *ret)
{
	uint32_t hi, lo;
	int r;

	if ((r = parse_hex4(p, &hi)) < 0)
		return r;
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return fail(p, -EINVAL, "lone low surrogate");
	if (hi >= 0xd800 && hi <= 0xdbff) {
		if (!eat(p, '\\') || !eat(p, 'u'))
			return fail(p, -EINVAL, "high surrogate without its low one");
		if ((r = parse_hex4(p, &lo)) < 0)
			return r;
		if (lo < 0xdc00 || lo > 0xdfff)
			return fail(p, -EINVAL, "high surrogate without its low one");
		hi = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (hi == 0)
		return fail(p, -EINVAL, "\\u0000 in a string");
	*ret = hi;
	return 0;
}

/* The escape after a backslash, decoded into @out; its length in *@n. */
static int parse_escape(struct parser *p, char *out, size_t *n)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	char ch = p->pos < p->len ? p->s[p->pos] : '\0';
	const char *at = ch ? strchr(from, ch) : NULL;
	uint32_t cp;
	int r;

	if (ch == 'u') {
		p->pos++;
		if ((r = parse_unicode_escape(p, &cp)) < 0)
			return r;
		*n = put_utf8(out, cp);
		return 0;
	}
	if (!at)
		return fail(p, -EINVAL, "unknown escape");
	p->pos++;
	out[0] = to[at - from];
	*n = 1;
	return 0;
}

/*
 * A string, at its opening quote, into a new NUL-terminated buffer. Decoding never makes text
 * longer (six bytes of "\uXXXX" are at most three of UTF-8, twelve of a pair four), so the
 * buffer is as long as the rest of the input at most, and shrunk to the text once read.
 */
static int parse_string(struct parser *p, char **ret, size_t *ret_len)
{
	char *out = malloc(p->len - p->pos + 1);
	size_t n = 0, step;
	uint32_t cp;
	int r = 0;

	if (!out)
		return -ENOMEM;
	p->pos++; /* the quote */
	for (;;) {
		unsigned char ch;

		if (p->pos >= p->len) {
			r = fail(p, -EINVAL, "unterminated string");
			break;
		}
		ch = (unsigned char)p->s[p->pos];
		if (ch == '"')
			break;
		if (ch == '\\') {
			p->pos++;
			if ((r = parse_escape(p, out + n, &step)) < 0)
				break;
			n += step;
		} else if (ch < 0x20) {
			r = fail(p, -EINVAL, "control character in a string");
			break;
		} else if (ch < 0x80) {
			out[n++] = (char)ch;
			p->pos++;
		} else if ((step = utf8_decode(p->s + p->pos, p->len - p->pos, &cp)) == 0) {
			r = fail(p, -EINVAL, "invalid UTF-8");
			break;
		} else {
			memcpy(out + n, p->s + p->pos, step);
			n += step;
			p->pos += step;
		}
	}
	if (r < 0) {
		free(out);
		return r;
	}
	p->pos++; /* the closing quote */
	out[n] = '\0';
	/* Give back what the rest of the input reserved: a million short strings in 4 MiB must
	 * not each hold 4 MiB. */
	*ret = malloc(n + 1); /* not realloc(): GCC 12 takes keeping @out on failure for a bug */
	if (*ret) {
		memcpy(*ret, out, n + 1);
		free(out);
	} else {
		*ret = out;
	}
	*ret_len = n;
	return 0;
}

static struct jvalue *append(struct jvalue *parent, struct jvalue **tail)
{
	struct jvalue *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	if (*tail)
		(*tail)->next = v;
	else
		parent->first = v;
	*tail = v;
	parent->len++;
	return v;
}

/* An array or an object (@close ']' or '}'), at its opening bracket. */
static int parse_items(struct parser *p, int depth, struct jvalue *v, char close)
{
	struct jvalue *tail = NULL, *item;
	size_t keylen;
	int r;

	p->pos++;
	skip_space(p);
	if (eat(p, close))
		return 0;
	for (;;) {
		if (!(item = append(v, &tail)))
			return -ENOMEM;
		if (close == '}') {
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return fail(p, -EINVAL, "expected a member's name");
			if ((r = parse_string(p, &item->key, &keylen)) < 0)
				return r;
			skip_space(p);
			if (!eat(p, ':'))
				return fail(p, -EINVAL, "expected ':'");
			skip_space(p);
		}
		if ((r = parse_value(p, depth, item)) < 0)
			return r;
		skip_space(p);
		if (eat(p, close))
			return 0;
		if (!eat(p, ','))
			return fail(p, -EINVAL,
				    close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
		skip_space(p);
	}
}

/* One value at p->pos (no white space before it), into @v; @depth: the containers around. */
static int parse_value(struct parser *p, int depth, struct jvalue *v)
{
	char ch = p->pos < p->len ? p->s[p->pos] : '\0';

	if (p->pos >= p->len)
		return fail(p, -EINVAL, "unexpected end");
	switch (ch) {
	case '{':
	case '[':
		if (depth >= JREAD_MAX_DEPTH)
			return fail(p, -ELOOP, "nested too deep");
		v->type = ch == '{' ? JOBJECT : JARRAY;
		return parse_items(p, depth + 1, v, ch == '{' ? '}' : ']');
	case '"':
		v->type = JSTRING;
		return parse_string(p, &v->str, &v->len);
	case 't':
	case 'f':
		v->type = JBOOL;
		v->b = ch == 't';
		return parse_literal(p, v->b ? "true" : "false");
	case 'n':
		v->type = JNULL;
		return parse_literal(p, "null");
	default:
		v->type = JNUMBER;
		return parse_number(p, &v->num);
	}
}

int jread_parse(const char *text, size_t len, struct jvalue **ret, struct jread_error *err)
{
	struct parser p = { .s = text, .len = len, .pos = 0, .err = err };
	struct jvalue *root = calloc(1, sizeof(*root));
	int r;

	if (!root)
		return -ENOMEM;
	skip_space(&p);
	r = parse_value(&p, 0, root);
	if (r == 0) {
		skip_space(&p);
		if (p.pos < p.len)
			r = fail(&p, -EINVAL, "trailing characters after the value");
	}
	if (r < 0) {
		jread_free(root);
		return r;
	}
	*ret = root;
	return 0;
}

void jread_free(struct jvalue *v)
{
	struct jvalue *item, *next;

	if (!v)
		return;
	for (item = v->first; item; item = next) {
		next = item->next;
		jread_free(item);
	}
	free(v->str);
	free(v->key);
	free(v);
}

bool jread_is(const struct jvalue *v, enum jtype type)
{
	return v && v->type == type;
}

const struct jvalue *jread_member(const struct jvalue *obj, const char *key)
{
	if (!jread_is(obj, JOBJECT))
		return NULL;
	for (const struct jvalue *m = obj->first; m; m = m->next)
		if (strcmp(m->key, key) == 0)
			return m;
	return NULL;
}

const char *jread_string(const struct jvalue *obj, const char *key)
{
	const struct jvalue *m = jread_member(obj, key);

	return jread_is(m, JSTRING) ? m->str : NULL;
}

bool jread_int(const struct jvalue *obj, const char *key, int64_t *ret)
{
	const struct jvalue *m = jread_member(obj, key);

	if (!jread_is(m, JNUMBER) || fabs(m->num) > MAX_EXACT_INT || m->num != trunc(m->num))
		return false;
	*ret = (int64_t)m->num;
	return true;
}

bool jread_bool(const struct jvalue *obj, const char *key, bool *ret)
{
	const struct jvalue *m = jread_member(obj, key);

	if (!jread_is(m, JBOOL))
		return false;
	*ret = m->b;
	return true;
}
