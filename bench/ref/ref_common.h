/*
 * ref_common.h: what the C reference echo servers (epoll, libuv, libevent, the two UDP loops) share:
 * their command line, and for the UDP loops the socket and the stop signals.
 * Bench-only, never linked into sockit; included by each .c, so build-refs.sh needs no extra flag.
 */
#ifndef SOCKIT_BENCH_REF_COMMON_H
#define SOCKIT_BENCH_REF_COMMON_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The one argument, PORT (1..65535); on anything else prints the usage line and returns -1
 * (the caller exits 2, as a usage error). */
static long ref_parse_port(int argc, char **argv)
{
    char *end = NULL;
    long port = argc == 2 ? strtol(argv[1], &end, 10) : -1;
    if (argc != 2 || *end != '\0' || port < 1 || port > 65535) {
        fprintf(stderr, "usage: %s PORT   (echo server on 127.0.0.1:PORT)\n", argv[0]);
        return -1;
    }
    return port;
}

/* A blocking UDP socket bound to 127.0.0.1:PORT (SO_REUSEPORT when reuse_port, for several
 * loops on one port); -1 with errno on failure. */
static inline int ref_udp_socket(uint16_t port, int reuse_port)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    if (reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* SIGINT and SIGTERM run `handler` and interrupt a blocking call (no SA_RESTART): the UDP loops
 * see EINTR, find their stop flag set and exit 0. */
static inline void ref_stop_on_signals(void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

#endif
