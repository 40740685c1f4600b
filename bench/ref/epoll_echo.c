/*
 * epoll_echo: the hand-written reference echo server that sockit's `echo` is measured against.
 * Bench-only, never linked into sockit. It is meant to be a *fair* reference: the fastest design a careful
 * person writes by hand for one core, so "within 5% of it" means something.
 *
 *   usage: epoll_echo PORT        (binds 127.0.0.1:PORT; exits 0 on SIGINT/SIGTERM)
 *
 * Design, in the order the data moves:
 *   - One thread, one epoll set. Every connection is registered once, edge-triggered, for
 *     EPOLLIN | EPOLLOUT | EPOLLRDHUP, so there is never an epoll_ctl(MOD) on the hot path.
 *   - Reads go into one shared 64 KiB buffer and are echoed straight back from it with send(MSG_NOSIGNAL).
 *     Only bytes the kernel refuses (EAGAIN / short send) are copied into a per-connection queue, which is
 *     allocated when it first holds data and freed as soon as it drains: an idle connection costs
 *     sizeof(struct conn) bytes of user memory and nothing more.
 *   - The queue is flushed on EPOLLOUT. While it holds more than HIGH_WATER bytes the connection is not read
 *     (backpressure: a peer that sends but never reads cannot grow our memory without bound); once it drains
 *     below LOW_WATER we resume by reading again ourselves, because with edge triggering no new EPOLLIN
 *     edge will come for bytes that were already waiting.
 *   - The listener is edge-triggered too: accept4 until EAGAIN. On EMFILE/ENFILE the pending connection is
 *     shed with the spare-descriptor trick (close a reserved fd, accept, close, reopen) so the loop neither
 *     spins on an always-readable listener nor leaves the client hanging.
 *   - SIGINT/SIGTERM arrive through a signalfd in the same epoll set, so shutdown is an ordinary event.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ref_common.h"

enum {
    READ_BUF_SIZE = 64 * 1024,   /* one read drains up to 64 KiB: a burst costs one syscall */
    HIGH_WATER = 1024 * 1024,    /* stop reading a connection whose queue is above this */
    LOW_WATER = 256 * 1024,      /* ...and start again once it is below this */
    MAX_EVENTS = 256,
};

/* Per-connection state, in a table indexed by fd (no hashing, no allocation per connection).
 * queue[head, head+len) holds bytes read but not yet accepted by the kernel:
 *
 *   queue: | sent already (head) | unsent (len) | free (cap - head - len) |
 */
struct conn {
    char *queue;
    uint32_t head, len, cap;
    uint8_t open;       /* slot in use */
    uint8_t paused;     /* reading stopped for backpressure */
    uint8_t eof;        /* peer finished sending: close once the queue is flushed */
};

static struct conn *conns;   /* conns[fd] */
static size_t conns_size;
static int epfd = -1;
static int spare_fd = -1;    /* reserved so EMFILE can still accept-and-close */
static char read_buf[READ_BUF_SIZE];

static void close_conn(int fd)
{
    struct conn *c = &conns[fd];
    free(c->queue);
    memset(c, 0, sizeof *c);
    close(fd);   /* also removes fd from the epoll set: we never dup it */
}

/* Make room for fd in the table; the table only grows, by doubling. */
static int reserve_slot(int fd)
{
    if ((size_t)fd < conns_size) return 0;
    size_t n = conns_size ? conns_size : 1024;
    while (n <= (size_t)fd) n *= 2;
    struct conn *p = realloc(conns, n * sizeof *p);
    if (!p) return -1;
    memset(p + conns_size, 0, (n - conns_size) * sizeof *p);
    conns = p;
    conns_size = n;
    return 0;
}

/* Append bytes the kernel did not take. Grows geometrically; slides the unsent bytes to the front first
 * when that alone makes room, so a steadily draining queue does not keep growing. */
static int enqueue(struct conn *c, const char *data, size_t n)
{
    if (c->head + c->len + n > c->cap && c->head > 0) {
        memmove(c->queue, c->queue + c->head, c->len);
        c->head = 0;
    }
    if (c->len + n > c->cap) {
        size_t cap = c->cap ? c->cap : 4096;
        while (cap < c->len + n) cap *= 2;
        char *q = realloc(c->queue, cap);
        if (!q) return -1;
        c->queue = q;
        c->cap = (uint32_t)cap;
    }
    memcpy(c->queue + c->head + c->len, data, n);
    c->len += (uint32_t)n;
    return 0;
}

/* Send as much of the queue as the kernel takes. Returns -1 on a fatal socket error. */
static int flush_queue(int fd, struct conn *c)
{
    while (c->len > 0) {
        ssize_t n = send(fd, c->queue + c->head, c->len, MSG_NOSIGNAL);
        if (n > 0) {
            c->head += (uint32_t)n;
            c->len -= (uint32_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0;   /* EPOLLOUT will bring us back */
        } else {
            return -1;
        }
    }
    /* Drained: give the memory back so idle connections stay small. */
    free(c->queue);
    c->queue = NULL;
    c->head = c->cap = 0;
    return 0;
}

/* Echo bytes just read: straight from the read buffer when nothing is queued (the common case, no copy),
 * otherwise behind the queue to keep the byte order. */
static int echo_bytes(int fd, struct conn *c, const char *data, size_t n)
{
    if (c->len == 0) {
        while (n > 0) {
            ssize_t w = send(fd, data, n, MSG_NOSIGNAL);
            if (w > 0) {
                data += w;
                n -= (size_t)w;
            } else if (w < 0 && errno == EINTR) {
                continue;
            } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                break;
            } else {
                return -1;
            }
        }
        if (n == 0) return 0;
    }
    return enqueue(c, data, n);
}

/* Read until EAGAIN (required by edge triggering), EOF, or backpressure.
 * Returns -1 when the connection must be closed now. */
static int on_readable(int fd, struct conn *c)
{
    while (!c->paused && !c->eof) {
        ssize_t n = read(fd, read_buf, sizeof read_buf);
        if (n > 0) {
            if (echo_bytes(fd, c, read_buf, (size_t)n) < 0) return -1;
            if (c->len > HIGH_WATER) c->paused = 1;
        } else if (n == 0) {
            c->eof = 1;   /* the peer may still be reading its echo: close once the queue is empty */
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            break;
        } else {
            return -1;
        }
    }
    return (c->eof && c->len == 0) ? -1 : 0;
}

static int on_writable(int fd, struct conn *c)
{
    if (flush_queue(fd, c) < 0) return -1;
    if (c->paused && c->len < LOW_WATER) {
        c->paused = 0;
        return on_readable(fd, c);   /* no new EPOLLIN edge will come for bytes already waiting */
    }
    return (c->eof && c->len == 0) ? -1 : 0;
}

/* The listener is readable: take every pending connection. */
static void on_accept(int lfd)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if ((errno == EMFILE || errno == ENFILE) && spare_fd >= 0) {
                /* Out of descriptors: the connection stays pending and, with edge triggering, we would
                 * never hear of it again (with level triggering we would spin). Shed it cleanly. */
                close(spare_fd);
                int shed = accept(lfd, NULL, NULL);
                if (shed >= 0) close(shed);
                spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (shed >= 0) continue;
            }
            return;   /* EAGAIN: all taken (or an error we cannot act on) */
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);   /* echo latency, not Nagle's */
        if (reserve_slot(fd) < 0) {
            close(fd);
            continue;
        }
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.fd = fd};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            close(fd);
            continue;
        }
        conns[fd].open = 1;
        /* Bytes may already be waiting: ET reports them anyway, as the fd is ready when added. */
    }
}

static int listen_on(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);   /* restart while old conns TIME_WAIT */
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, SOMAXCONN) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int main(int argc, char **argv)
{
    long port = ref_parse_port(argc, argv);
    if (port < 0) return 2;

    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);

    int lfd = listen_on((uint16_t)port);
    if (lfd < 0) {
        fprintf(stderr, "epoll_echo: 127.0.0.1:%ld: %s\n", port, strerror(errno));
        return 1;
    }
    spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (sfd < 0 || epfd < 0) {
        perror("epoll_echo");
        return 1;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.fd = lfd};
    epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev);
    ev = (struct epoll_event){.events = EPOLLIN, .data.fd = sfd};
    epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev);

    struct epoll_event events[MAX_EVENTS];
    for (int running = 1; running;) {
        int n = epoll_wait(epfd, events, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; ++i) {
            int fd = events[i].data.fd;
            uint32_t e = events[i].events;
            if (fd == lfd) {
                on_accept(lfd);
            } else if (fd == sfd) {
                running = 0;
            } else {
                /* An fd appears at most once per batch, so a slot closed here cannot be reused by an
                 * accept later in the same batch and then receive this event by mistake. */
                struct conn *c = &conns[fd];
                int rc = 0;
                if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) rc = on_readable(fd, c);
                if (rc == 0 && (e & (EPOLLOUT | EPOLLHUP | EPOLLERR))) rc = on_writable(fd, c);
                if (rc < 0) close_conn(fd);
            }
        }
    }

    for (size_t fd = 0; fd < conns_size; ++fd)
        if (conns[fd].open) close_conn((int)fd);
    free(conns);
    close(lfd);
    close(epfd);
    close(sfd);
    if (spare_fd >= 0) close(spare_fd);
    return 0;
}
