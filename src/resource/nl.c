#include "resource/nl.h"
#include "base/util.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

static unsigned nl_next_seq(void)
{
    static unsigned seq;
    unsigned s = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
    return s + (unsigned)time(NULL);
}

int nl_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
    struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
    if (!nl)
        return -errno;
    char *buf = xmalloc(NL_BUF_SIZE);
    int r = 0;
    if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        r = -errno;
        goto out;
    }
    unsigned portid = mnl_socket_get_portid(nl);
    nlh->nlmsg_seq = nl_next_seq();
    if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
        r = -errno;
        goto out;
    }
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(nl, buf, NL_BUF_SIZE);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            r = -errno;
            break;
        }
        int k = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, cb, data);
        if (k < 0) {
            r = errno ? -errno : -EIO;
            break;
        }
        if (k == MNL_CB_STOP)
            break;
    }
out:
    free(buf);
    mnl_socket_close(nl);
    return r;
}
