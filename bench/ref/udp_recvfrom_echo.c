/*
 * udp_recvfrom_echo: the plain UDP echo loop, one datagram per system call each way: what a careful
 * person writes first. Bench-only, never linked into sockit; the lower reference for sockit's UDP
 * echo (issue 9: sockit must answer more than this).
 *
 *   usage: udp_recvfrom_echo PORT        (binds 127.0.0.1:PORT, UDP; exits 0 on SIGINT/SIGTERM)
 *
 * One blocking socket, one thread: recvfrom into a 64 KiB buffer (no datagram is cut), sendto the
 * sender. No poller: a blocking recvfrom is the cheapest wait there is for one socket. SIGINT and
 * SIGTERM interrupt the recvfrom (the handler is installed without SA_RESTART) and end the loop.
 * A reply the kernel refuses (ENOBUFS, an ICMP error left by an earlier reply) is dropped.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ref_common.h"

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv)
{
    long port = ref_parse_port(argc, argv);
    if (port < 0) return 2;
    int fd = ref_udp_socket((uint16_t)port, 0);
    if (fd < 0) {
        fprintf(stderr, "udp_recvfrom_echo: 127.0.0.1:%ld: %s\n", port, strerror(errno));
        return 1;
    }
    ref_stop_on_signals(on_signal);

    static char buf[65536];
    while (!stop) {
        struct sockaddr_storage from;
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
        if (n < 0) {
            if (errno == EINTR) continue;   /* a stop signal sets `stop` first */
            continue;                       /* e.g. ECONNREFUSED left by an earlier reply */
        }
        (void)sendto(fd, buf, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&from, len);
    }
    close(fd);
    return 0;
}
