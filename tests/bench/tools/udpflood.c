/*
 * udpflood: new UDP flows as fast as one socket can send them, for the
 * NFQUEUE bench (scenario f). Each datagram goes to the next destination
 * port (1024..65535, round robin), so each is a new conntrack entry and
 * reaches the verdict path. Bounded in time and in count; the address must
 * be one the bench created.
 *
 * usage: udpflood IPV4 SECONDS MAX_PACKETS   prints the number sent
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define BATCH 64

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: udpflood IPV4 SECONDS MAX_PACKETS\n");
        return 2;
    }
    struct in_addr dst;
    if (inet_pton(AF_INET, argv[1], &dst) != 1) {
        fprintf(stderr, "udpflood: not an IPv4 address: %s\n", argv[1]);
        return 2;
    }
    double secs = strtod(argv[2], NULL);
    long max = strtol(argv[3], NULL, 10);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        perror("udpflood: socket");
        return 1;
    }
    static struct sockaddr_in to[BATCH];
    static struct mmsghdr msgs[BATCH];
    static struct iovec iov[BATCH];
    static char payload[] = "flood";
    unsigned port = 1024;
    long sent = 0;
    double end = now() + secs;
    while (sent < max && now() < end) {
        for (int i = 0; i < BATCH; i++) {
            to[i] = (struct sockaddr_in){
                .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = dst};
            port = port == 65535 ? 1024 : port + 1;
            iov[i] = (struct iovec){.iov_base = payload, .iov_len = sizeof(payload) - 1};
            msgs[i].msg_hdr = (struct msghdr){.msg_name = &to[i],
                                              .msg_namelen = sizeof(to[i]),
                                              .msg_iov = &iov[i],
                                              .msg_iovlen = 1};
        }
        int n = sendmmsg(fd, msgs, BATCH, 0);
        if (n < 0 && errno != ENOBUFS && errno != EAGAIN && errno != EPERM) {
            perror("udpflood: sendmmsg");
            return 1;
        }
        sent += n > 0 ? n : 0;
    }
    printf("%ld\n", sent);
    return 0;
}
