/* SPDX-License-Identifier: ISC */
/*
 * auth.h - the client's side of the challenge (protocol section 6): HMAC-SHA256 of the 32
 * challenge bytes under the shared key, in hex; and reading that key from a file.
 */
#ifndef FRONTDESK_CLIENT_AUTH_H
#define FRONTDESK_CLIENT_AUTH_H

#include <stddef.h>

#define AUTH_CHALLENGE_BYTES 32
#define AUTH_RESPONSE_LEN 64 /* hex digits of an HMAC-SHA256 */

/*
 * auth_response() - answer @challenge (64 hex digits) into @out (AUTH_RESPONSE_LEN + 1 bytes).
 * Return: 0, or -EINVAL when the challenge is not 64 hex digits.
 */
int auth_response(const unsigned char *key, size_t key_len, const char *challenge, size_t len,
		  char out[AUTH_RESPONSE_LEN + 1]);

/*
 * auth_read_key() - the key is the file's bytes, one trailing newline removed.
 *
 * A file that others may read is refused (-EPERM), as is an empty one (-EINVAL) or one larger
 * than @max (-EFBIG). Return: 0 with *@ret_len set, or a negative errno.
 */
int auth_read_key(const char *path, unsigned char *key, size_t max, size_t *ret_len);

#endif
