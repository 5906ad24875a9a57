/* sniff.h: the name a TLS client asks for, read from its ClientHello
 * (server_name extension, RFC 6066), so the proxy can check that a
 * connection allowed for one name is not used for another.
 *
 * Pure parsing of untrusted bytes: every length is checked against the
 * one that contains it, and nothing is read past `len`.  No allocation. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A ClientHello longer than this (records included) is refused: real
 * ones are a few hundred bytes, post-quantum key shares about 2 KiB. */
#define GW_SNIFF_MAX 16384
#define GW_SNIFF_NAME_MAX 255

/* Could buf (the first bytes of a connection, len >= 1) be a TLS
 * handshake record, as a server would take it?  Content type 22 and a
 * version below 0x1000: OpenSSL takes any minor version on a first record
 * and Go's crypto/tls any version below 0x1000, so a caller that took
 * "16 03 05" or "16 05 01" for "not TLS" would let a server name through
 * unchecked.  sniff_tls_sni() then refuses what is not 3.x.  Decides from
 * the first two bytes; true on one byte, so a "no" never becomes "yes"
 * with more bytes. */
bool sniff_looks_tls(const uint8_t *buf, size_t len);

/* Find the SNI host_name in the ClientHello that starts buf (one or more
 * handshake records).  Returns 1 with the name copied raw into name (cap
 * >= GW_SNIFF_NAME_MAX + 1, NUL-terminated; normalise it before
 * comparing), 0 when more bytes are needed, -ENOENT for a complete
 * ClientHello without server_name, -EPROTO when buf is not a well-formed
 * ClientHello (or the name is empty, over 255 bytes, holds a NUL, is not
 * of type host_name, or the extension appears twice), -E2BIG when the
 * ClientHello would exceed GW_SNIFF_MAX. */
int sniff_tls_sni(const uint8_t *buf, size_t len, char *name, size_t cap);

/* Does buf (the first bytes a client sent) start like an HTTP/1 request,
 * "METHOD SP target SP HTTP/1."?  1 yes, 0 not known yet, -1 no.  Erring
 * towards yes is safe for the proxy (its HTTP framer refuses what is not a
 * well-formed request): a request after empty lines counts, any token is
 * a method, and a printable line of `max` bytes or more counts.  0 is
 * only returned for bytes that hold no line end past leading empty lines,
 * so they cannot hold a complete request (the proxy relies on this to
 * let them go ahead). */
int sniff_looks_http(const uint8_t *buf, size_t len, size_t max);

/* A TLS record that no client sends first (alert, change_cipher_spec,
 * application data) or an SSLv2-style hello: some servers accept these
 * before a ClientHello whose name would then go unchecked. */
bool sniff_odd_tls_start(const uint8_t *buf, size_t len);
