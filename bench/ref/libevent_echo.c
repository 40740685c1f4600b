/*
 * libevent_echo: the bufferevent echo server of libevent's book ("Connection listeners", echo server
 * example), kept in that shape on purpose: evconnlistener + one socket bufferevent per connection, whose read
 * callback moves the whole input buffer to the output buffer. Bench-only, built against Debian's
 * libevent-dev; never linked into sockit.
 *
 *   usage: libevent_echo PORT        (binds 127.0.0.1:PORT; exits 0 on SIGINT/SIGTERM)
 *
 * Like the example: no TCP_NODELAY, no output limit. Departures, none on the per-message path:
 *   - binds 127.0.0.1 instead of every address, with a SOMAXCONN backlog like every reference here;
 *   - a listener error is logged instead of ending the loop (EMFILE under load is no reason to stop);
 *   - on EOF with echo still queued it frees the bufferevent only once the output has drained (the example
 *     frees it at once and drops that data, which would fail the byte-exact smoke test);
 *   - SIGPIPE is ignored: bufferevents write with write(), so a peer that resets with echo still queued would
 *     otherwise kill the server (the benchmark's load generator does exactly that when a run ends);
 *   - SIGINT/SIGTERM end the loop through evsignal events.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "ref_common.h"

static void echo_read_cb(struct bufferevent *bev, void *ctx)
{
    (void)ctx;
    struct evbuffer *input = bufferevent_get_input(bev);
    struct evbuffer *output = bufferevent_get_output(bev);
    evbuffer_add_buffer(output, input);
}

/* Installed after EOF: the write callback runs when the output drops to the write low-water mark (0). */
static void free_when_drained_cb(struct bufferevent *bev, void *ctx)
{
    (void)ctx;
    bufferevent_free(bev);
}

static void echo_event_cb(struct bufferevent *bev, short events, void *ctx)
{
    (void)ctx;
    if (events & BEV_EVENT_ERROR) perror("Error from bufferevent");
    if (events & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        if ((events & BEV_EVENT_EOF) && evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
            bufferevent_setcb(bev, NULL, free_when_drained_cb, echo_event_cb, NULL);
            bufferevent_disable(bev, EV_READ);
            return;
        }
        bufferevent_free(bev);
    }
}

static void accept_conn_cb(struct evconnlistener *listener, evutil_socket_t fd, struct sockaddr *address,
                           int socklen, void *ctx)
{
    (void)address;
    (void)socklen;
    (void)ctx;
    struct event_base *base = evconnlistener_get_base(listener);
    struct bufferevent *bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(bev, echo_read_cb, NULL, echo_event_cb, NULL);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void accept_error_cb(struct evconnlistener *listener, void *ctx)
{
    (void)listener;
    (void)ctx;
    int err = EVUTIL_SOCKET_ERROR();
    /* The example exits here; EMFILE under a 10k-connection load is not a reason to stop serving. */
    fprintf(stderr, "Got an error %d (%s) on the listener.\n", err, evutil_socket_error_to_string(err));
}

static void on_signal(evutil_socket_t sig, short events, void *arg)
{
    (void)sig;
    (void)events;
    event_base_loopexit((struct event_base *)arg, NULL);
}

int main(int argc, char **argv)
{
    long port = ref_parse_port(argc, argv);
    if (port < 0) return 2;
    signal(SIGPIPE, SIG_IGN);
    struct event_base *base = event_base_new();
    if (!base) {
        fputs("Couldn't open event base\n", stderr);
        return 1;
    }

    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin.sin_port = htons((unsigned short)port);

    struct evconnlistener *listener =
        evconnlistener_new_bind(base, accept_conn_cb, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, SOMAXCONN,
                                (struct sockaddr *)&sin, sizeof sin);
    if (!listener) {
        fprintf(stderr, "libevent_echo: 127.0.0.1:%ld: couldn't create listener\n", port);
        return 1;
    }
    evconnlistener_set_error_cb(listener, accept_error_cb);

    struct event *sigint = evsignal_new(base, SIGINT, on_signal, base);
    struct event *sigterm = evsignal_new(base, SIGTERM, on_signal, base);
    event_add(sigint, NULL);
    event_add(sigterm, NULL);

    event_base_dispatch(base);

    event_free(sigint);
    event_free(sigterm);
    evconnlistener_free(listener);
    event_base_free(base);
    return 0;
}
