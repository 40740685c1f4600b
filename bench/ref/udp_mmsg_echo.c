/*
 * udp_mmsg_echo: the batched UDP echo loop, many datagrams per system call each way
 * (recvmmsg/sendmmsg): the upper reference for sockit's UDP echo (issue 9: at least 0.9x this).
 * Bench-only, never linked into sockit.
 *
 *   usage: udp_mmsg_echo PORT        (binds 127.0.0.1:PORT, UDP; exits 0 on SIGINT/SIGTERM)
 *
 * One blocking socket, one thread. recvmmsg with MSG_WAITFORONE waits for the first datagram, then
 * takes whatever else is already queued, up to VLEN; sendmmsg sends every reply of the batch back,
 * each to its sender, straight from the buffers it was read into (no copy). VLEN 64 covers the
 * 8 sockets x 8 datagrams in flight of the benchmark in one call. Buffers are 64 KiB each so no
 * datagram is cut (4 MiB of address space; only the pages datagrams touch become resident).
 * A reply the kernel refuses is skipped, the rest of the batch still sent.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ref_common.h"

enum { VLEN = 64, BUF_SIZE = 65536 };

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv)
{
    long port = ref_parse_port(argc, argv);
    if (port < 0) return 2;
    int fd = ref_udp_socket((uint16_t)port, 0);
    if (fd < 0) {
        fprintf(stderr, "udp_mmsg_echo: 127.0.0.1:%ld: %s\n", port, strerror(errno));
        return 1;
    }
    ref_stop_on_signals(on_signal);

    char *bufs = malloc((size_t)VLEN * BUF_SIZE);
    static struct mmsghdr msgs[VLEN];
    static struct iovec iov[VLEN];
    static struct sockaddr_storage peers[VLEN];
    if (!bufs) return 1;

    while (!stop) {
        for (int i = 0; i < VLEN; ++i) {
            iov[i] = (struct iovec){.iov_base = bufs + (size_t)i * BUF_SIZE, .iov_len = BUF_SIZE};
            msgs[i].msg_hdr = (struct msghdr){.msg_name = &peers[i], .msg_namelen = sizeof peers[i],
                                              .msg_iov = &iov[i], .msg_iovlen = 1};
        }
        int n = recvmmsg(fd, msgs, VLEN, MSG_WAITFORONE, NULL);
        if (n <= 0) continue;   /* EINTR (a stop signal sets `stop` first), or an ICMP error */
        /* Each reply is its datagram, sent back from the same buffer to the same sender. */
        for (int i = 0; i < n; ++i) iov[i].iov_len = msgs[i].msg_len;
        for (int first = 0; first < n;) {
            int sent = sendmmsg(fd, msgs + first, (unsigned)(n - first), MSG_NOSIGNAL);
            if (sent < 0) {
                if (errno == EINTR && !stop) continue;
                first += 1;   /* this reply was refused: skip it, send the rest */
            } else {
                first += sent;
            }
        }
    }
    free(bufs);
    close(fd);
    return 0;
}
