/* SPDX-License-Identifier: ISC */
/*
 * auth.h - the challenge of protocol section 6, for both ends: HMAC-SHA256 of the 32 challenge
 * bytes under the shared key, in hex; reading that key from a file; making and checking a
 * challenge (the daemon's side).
 */
#ifndef FRONTDESK_AUTH_H
#define FRONTDESK_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define AUTH_CHALLENGE_BYTES 32
#define AUTH_KEY_MAX         1024

/* A shared key, as read from its key file. */
struct auth_key {
	unsigned char bytes[AUTH_KEY_MAX];
	size_t len;
};
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
 * A file with any of the permission bits in @forbidden set is refused (-EPERM): the daemon
 * forbids access by others (S_IRWXO), the client by group and others. An empty file is refused
 * (-EINVAL), as is one larger than @max (-EFBIG). Return: 0 with *@ret_len set, or -errno.
 */
int auth_read_key(const char *path, mode_t forbidden, unsigned char *key, size_t max,
		  size_t *ret_len);

/* auth_new_challenge() - 32 random bytes from the OS as 64 hex digits (+ NUL) in @out. */
int auth_new_challenge(char out[2 * AUTH_CHALLENGE_BYTES + 1]);

/*
 * auth_check() - whether @response (of @len bytes) is the right answer to @challenge.
 * Hex digits may be upper or lower case; the comparison takes the same time however many
 * digits match.
 */
bool auth_check(const unsigned char *key, size_t key_len, const char *challenge,
		const char *response, size_t len);

#endif
