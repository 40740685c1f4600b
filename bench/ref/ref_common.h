/*
 * ref_common.h: what the C reference echo servers (epoll, libuv, libevent) share, their command line.
 * Bench-only, never linked into sockit; included by each .c, so build-refs.sh needs no extra flag.
 */
#ifndef SOCKIT_BENCH_REF_COMMON_H
#define SOCKIT_BENCH_REF_COMMON_H

#include <stdio.h>
#include <stdlib.h>

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

#endif
