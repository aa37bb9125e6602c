/* SPDX-License-Identifier: ISC */
#include "tlserr.h"

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>

const char *tls_bufferevent_error(struct bufferevent *bev, char *buf, size_t len)
{
	unsigned long e;

	if (!bufferevent_openssl_get_ssl(bev))
		return NULL;
	e = bufferevent_get_openssl_error(bev);
	if (!e)
		return NULL;
	ERR_error_string_n(e, buf, len);
	while (bufferevent_get_openssl_error(bev))
		;
	return buf;
}
