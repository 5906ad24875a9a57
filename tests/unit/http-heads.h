/* http-heads.h: HTTP/1 requests captured from real clients, shared by
 * test-http1.c and fuzz-http1.c (as seeds).
 *
 * Each was recorded on Debian 12 by a small python3 server on 127.0.0.1
 * that saved every request (head, and body where noted) and answered just
 * enough for the client to go on (a 404, or for git a fake empty
 * receive-pack advertisement and "unpack ok").  PORT was 47480, so Host
 * headers naming 127.0.0.1 carry it.  tests/fuzz/corpus/http1/ holds the
 * same bytes (git's chunked push cut after its first chunk), plus a
 * pipeline of them and a head of GW_HTTP_HEAD_MAX bytes. */
#pragma once

/* curl 7.88.1: `curl -x http://127.0.0.1:PORT http://example.test/`. */
#define CURL_GET \
	"GET http://example.test/ HTTP/1.1\r\n" \
	"Host: example.test\r\n" \
	"User-Agent: curl/7.88.1\r\n" \
	"Accept: */*\r\n" \
	"Proxy-Connection: Keep-Alive\r\n" \
	"\r\n"

/* curl with a proxy credential, a port and a query: `curl -x
 * http://gw:s3cret@127.0.0.1:PORT 'http://example.test:8080/a/b?q=1&r=%20'`. */
#define CURL_AUTH \
	"GET http://example.test:8080/a/b?q=1&r=%20 HTTP/1.1\r\n" \
	"Host: example.test:8080\r\n" \
	"Proxy-Authorization: Basic Z3c6czNjcmV0\r\n" \
	"User-Agent: curl/7.88.1\r\n" \
	"Accept: */*\r\n" \
	"Proxy-Connection: Keep-Alive\r\n" \
	"\r\n"

/* curl, a form: `curl -x http://127.0.0.1:PORT -d 'a=1&b=2'
 * http://example.test/form` (head and body). */
#define CURL_POST \
	"POST http://example.test/form HTTP/1.1\r\n" \
	"Host: example.test\r\n" \
	"User-Agent: curl/7.88.1\r\n" \
	"Accept: */*\r\n" \
	"Proxy-Connection: Keep-Alive\r\n" \
	"Content-Length: 7\r\n" \
	"Content-Type: application/x-www-form-urlencoded\r\n" \
	"\r\n" \
	"a=1&b=2"

/* curl, HTTP/1.0: `curl -0 -x http://127.0.0.1:PORT
 * http://example.test/old`. */
#define CURL_HTTP10 \
	"GET http://example.test/old HTTP/1.0\r\n" \
	"Host: example.test\r\n" \
	"User-Agent: curl/7.88.1\r\n" \
	"Accept: */*\r\n" \
	"Proxy-Connection: Keep-Alive\r\n" \
	"\r\n"

/* curl, an IPv6 literal: `curl -x http://127.0.0.1:PORT
 * 'http://[::1]:8080/v6'`. */
#define CURL_V6 \
	"GET http://[::1]:8080/v6 HTTP/1.1\r\n" \
	"Host: [::1]:8080\r\n" \
	"User-Agent: curl/7.88.1\r\n" \
	"Accept: */*\r\n" \
	"Proxy-Connection: Keep-Alive\r\n" \
	"\r\n"

/* curl tunnelling: `curl -p -x http://127.0.0.1:PORT
 * https://example.test/`. */
#define CURL_CONNECT \
	"CONNECT example.test:443 HTTP/1.1\r\n" \
	"Host: example.test:443\r\n" \
	"User-Agent: curl/7.88.1\r\n" \
	"Proxy-Connection: Keep-Alive\r\n" \
	"\r\n"

/* curl tunnelling to an IPv6 literal: `curl -p -x http://127.0.0.1:PORT
 * 'https://[::1]:8443/'`. */
#define CURL_CONNECT_V6 \
	"CONNECT [::1]:8443 HTTP/1.1\r\n" \
	"Host: [::1]:8443\r\n" \
	"User-Agent: curl/7.88.1\r\n" \
	"Proxy-Connection: Keep-Alive\r\n" \
	"\r\n"

/* Python 3.11.7 urllib through a proxy: `urllib.request.build_opener(
 * urllib.request.ProxyHandler({"http": "http://127.0.0.1:PORT"})).open(
 * "http://python.example.test/path?x=y")`. */
#define URLLIB_GET \
	"GET http://python.example.test/path?x=y HTTP/1.1\r\n" \
	"Accept-Encoding: identity\r\n" \
	"Host: python.example.test\r\n" \
	"User-Agent: Python-urllib/3.11\r\n" \
	"Connection: close\r\n" \
	"\r\n"

/* Node.js 20.20.2, a proxy request with a streamed body (so chunked):
 * `http.request({ host: "127.0.0.1", port: PORT, method: "POST", path:
 * "http://node.example.test/upload", headers: { Host:
 * "node.example.test" } })`, then `write("hello ")`, `write("world")`,
 * `end()` (head and body). */
#define NODE_POST_CHUNKED \
	"POST http://node.example.test/upload HTTP/1.1\r\n" \
	"Host: node.example.test\r\n" \
	"Connection: keep-alive\r\n" \
	"Transfer-Encoding: chunked\r\n" \
	"\r\n" \
	"6\r\n" \
	"hello \r\n" \
	"5\r\n" \
	"world\r\n" \
	"0\r\n" \
	"\r\n"

/* Node.js 20.20.2, origin form: `http.request({ host: "127.0.0.1", port:
 * PORT, path: "/plain?x=1", headers: { Host: "node.example.test" } })`. */
#define NODE_GET \
	"GET /plain?x=1 HTTP/1.1\r\n" \
	"Host: node.example.test\r\n" \
	"Connection: keep-alive\r\n" \
	"\r\n"

/* git 2.39.5 smart HTTP, `git -c http.postBuffer=65536 push
 * http://127.0.0.1:PORT/repo.git main` with a 200 kB commit: the ref
 * advertisement. */
#define GIT_INFO_REFS \
	"GET /repo.git/info/refs?service=git-receive-pack HTTP/1.1\r\n" \
	"Host: 127.0.0.1:47480\r\n" \
	"User-Agent: git/2.39.5\r\n" \
	"Accept: */*\r\n" \
	"Accept-Encoding: deflate, gzip, br, zstd\r\n" \
	"Accept-Language: C, *;q=0.9\r\n" \
	"Pragma: no-cache\r\n" \
	"\r\n"

/* The same push: the probe git sends before a chunked request (head and
 * body). */
#define GIT_PROBE \
	"POST /repo.git/git-receive-pack HTTP/1.1\r\n" \
	"Host: 127.0.0.1:47480\r\n" \
	"User-Agent: git/2.39.5\r\n" \
	"Content-Type: application/x-git-receive-pack-request\r\n" \
	"Accept: application/x-git-receive-pack-result\r\n" \
	"Content-Length: 4\r\n" \
	"\r\n" \
	"0000"

/* The same push: the pack, chunked (head only; the body was chunks of
 * 0x89, 17 x 0x2000 and 0xee38 bytes, then "0\r\n\r\n"). */
#define GIT_POST_CHUNKED \
	"POST /repo.git/git-receive-pack HTTP/1.1\r\n" \
	"Host: 127.0.0.1:47480\r\n" \
	"User-Agent: git/2.39.5\r\n" \
	"Accept-Encoding: deflate, gzip, br, zstd\r\n" \
	"Transfer-Encoding: chunked\r\n" \
	"Content-Type: application/x-git-receive-pack-request\r\n" \
	"Accept: application/x-git-receive-pack-result\r\n" \
	"Accept-Language: C, *;q=0.9\r\n" \
	"\r\n"

/* The same push without http.postBuffer: the pack in one body of
 * 200381 bytes (head only). */
#define GIT_POST_LENGTH \
	"POST /repo.git/git-receive-pack HTTP/1.1\r\n" \
	"Host: 127.0.0.1:47480\r\n" \
	"User-Agent: git/2.39.5\r\n" \
	"Accept-Encoding: deflate, gzip, br, zstd\r\n" \
	"Content-Type: application/x-git-receive-pack-request\r\n" \
	"Accept: application/x-git-receive-pack-result\r\n" \
	"Accept-Language: C, *;q=0.9\r\n" \
	"Content-Length: 200381\r\n" \
	"\r\n"

