/*
 * page.h - fetch one page from the kit's loopback page server
 * (common/pageserver.h), and say what came back.
 *
 * One fetch is one connection: send "GET <name> <delay_ms>\n", read the
 * header "OK <len>\n" and len body bytes, compare them with the page the
 * server must send (pageserver_body). Anything else - the server closing
 * early, bytes that are not the protocol, half a body, no reply at all
 * within the timeout - is an error for that page, described in words:
 *
 *     struct page_result r;
 *     page_fetch(port, "page-1", 200, 5000, &r);
 *     if (!r.ok)
 *         fprintf(stderr, "page-1: %s\n", r.error);
 *
 * A page_result holds no pointer, so that a child process can send it to
 * its parent whole, through a pipe, in one atomic write (it is far below
 * PIPE_BUF bytes).
 */
#ifndef PAGE_H
#define PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGE_NAME_MAX 64    /* as PAGESERVER_NAME_MAX */
#define PAGE_BODY_MAX 65536 /* the largest body a client accepts */
/* Room for the error message. With it a page_result is a little over
 * 1 KiB: one write of it is atomic (PIPE_BUF is at least 4 KiB on
 * Linux), and a pipe (64 KiB) holds about 60 before a writer must wait. */
#define PAGE_ERROR_MAX 1000

/* What one fetch brought back. */
struct page_result {
    bool ok;                    /* the whole page came and was right */
    int index;                  /* which page of the list (for pipes) */
    size_t len;                 /* body bytes received */
    uint32_t hash;              /* FNV-1a of the body received */
    char error[PAGE_ERROR_MAX]; /* why not ok: "" when ok */
};

/* Fetch page name from the server on 127.0.0.1:port, asking for a delay
 * of delay_ms; give up when no byte comes for timeout_ms. Fills *out
 * (out->index is left as it was). Never exits: every failure, a failed
 * system call too, is reported in out->error. */
void page_fetch(int port, const char *name, int delay_ms, int timeout_ms,
                struct page_result *out);

/* FNV-1a, 32 bits, of len bytes: the fingerprint printed for each page. */
uint32_t page_hash(const void *buf, size_t len);

#endif
