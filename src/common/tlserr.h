/* SPDX-License-Identifier: ISC */
/* tlserr.h - why a libevent OpenSSL bufferevent failed, in OpenSSL's words (daemon and client). */
#ifndef FRONTDESK_TLSERR_H
#define FRONTDESK_TLSERR_H

#include <stddef.h>

struct bufferevent;

/*
 * tls_bufferevent_error() - the first OpenSSL error queued on @bev as text in @buf, the rest
 * of its queue dropped. Return: @buf, or NULL when @bev is not TLS or has no error queued.
 */
const char *tls_bufferevent_error(struct bufferevent *bev, char *buf, size_t len);

#endif
