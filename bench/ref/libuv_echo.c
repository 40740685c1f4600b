/*
 * libuv_echo: the echo server of libuv's documentation (uvbook "Networking", tcp-echo-server), kept in that
 * shape on purpose: it stands for "what a libuv user writes", not for the best libuv can do.
 * Bench-only, built against Debian's libuv1-dev; never linked into sockit.
 *
 *   usage: libuv_echo PORT        (binds 127.0.0.1:PORT; exits 0 on SIGINT/SIGTERM)
 *
 * Like the docs: alloc_cb mallocs a fresh suggested_size (64 KiB) buffer for each read, and each read is
 * echoed with one uv_write that frees the buffer when done. No TCP_NODELAY, no write-queue limit.
 * Departures from the docs, none of them on the per-message path:
 *   - binds 127.0.0.1 instead of 0.0.0.0, with a SOMAXCONN backlog instead of 128 like every reference here
 *     (connection set-up at 10k connections is not what we compare);
 *   - on EOF it calls uv_shutdown and closes in the shutdown callback, so writes still queued are delivered
 *     (the docs' immediate uv_close cancels them, which would fail the byte-exact smoke test);
 *   - SIGPIPE is ignored: libuv writes with write(), so a peer that resets with echo still queued would
 *     otherwise kill the server (the benchmark's load generator does exactly that when a run ends);
 *   - SIGINT/SIGTERM stop the loop through uv_signal handles.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <uv.h>

#include "ref_common.h"

typedef struct {
    uv_write_t req;
    uv_buf_t buf;
} write_req_t;

static uv_loop_t *loop;

static void on_close(uv_handle_t *handle) { free(handle); }

static void alloc_buffer(uv_handle_t *handle, size_t suggested_size, uv_buf_t *buf)
{
    (void)handle;
    buf->base = malloc(suggested_size);
    buf->len = suggested_size;
}

static void echo_write(uv_write_t *req, int status)
{
    if (status && status != UV_ECANCELED) fprintf(stderr, "write error: %s\n", uv_strerror(status));
    write_req_t *wr = (write_req_t *)req;
    free(wr->buf.base);
    free(wr);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    (void)status;
    uv_close((uv_handle_t *)req->handle, on_close);
    free(req);
}

static void echo_read(uv_stream_t *client, ssize_t nread, const uv_buf_t *buf)
{
    if (nread > 0) {
        write_req_t *req = malloc(sizeof *req);
        req->buf = uv_buf_init(buf->base, (unsigned int)nread);
        uv_write(&req->req, client, &req->buf, 1, echo_write);
        return;
    }
    if (nread < 0) {
        uv_shutdown_t *sreq = NULL;
        if (nread == UV_EOF) sreq = malloc(sizeof *sreq);
        if (sreq == NULL || uv_shutdown(sreq, client, on_shutdown) != 0) {
            free(sreq);
            if (!uv_is_closing((uv_handle_t *)client)) uv_close((uv_handle_t *)client, on_close);
        }
    }
    free(buf->base);
}

static void on_new_connection(uv_stream_t *server, int status)
{
    if (status < 0) {
        fprintf(stderr, "new connection error: %s\n", uv_strerror(status));
        return;
    }
    uv_tcp_t *client = malloc(sizeof *client);
    uv_tcp_init(loop, client);
    if (uv_accept(server, (uv_stream_t *)client) == 0) {
        uv_read_start((uv_stream_t *)client, alloc_buffer, echo_read);
    } else {
        uv_close((uv_handle_t *)client, on_close);
    }
}

static void on_signal(uv_signal_t *handle, int signum)
{
    (void)handle;
    (void)signum;
    uv_stop(loop);
}

static void close_any(uv_handle_t *handle, void *arg)
{
    (void)arg;
    if (!uv_is_closing(handle)) uv_close(handle, NULL);
}

int main(int argc, char **argv)
{
    long port = ref_parse_port(argc, argv);
    if (port < 0) return 2;
    signal(SIGPIPE, SIG_IGN);
    loop = uv_default_loop();

    uv_tcp_t server;
    uv_tcp_init(loop, &server);
    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", (int)port, &addr);
    uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0);
    int r = uv_listen((uv_stream_t *)&server, SOMAXCONN, on_new_connection);
    if (r) {
        fprintf(stderr, "libuv_echo: 127.0.0.1:%ld: %s\n", port, uv_strerror(r));
        return 1;
    }

    uv_signal_t sigint, sigterm;
    uv_signal_init(loop, &sigint);
    uv_signal_start(&sigint, on_signal, SIGINT);
    uv_signal_init(loop, &sigterm);
    uv_signal_start(&sigterm, on_signal, SIGTERM);

    uv_run(loop, UV_RUN_DEFAULT);

    /* Stopped by a signal: close every handle and let the close callbacks run. Client handles were
     * malloc'ed and are reclaimed by the process exit; what matters here is a clean exit status. */
    uv_walk(loop, close_any, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    return 0;
}
