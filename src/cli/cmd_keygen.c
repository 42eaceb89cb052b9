/* vigil keygen: create the key that authenticates and encrypts cluster traffic. */
#include "cli/cli.h"
#include "base/util.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#define KEY_BYTES 256 /* what corosync-keygen writes; Corosync accepts up to 4096 */
#define KEY_MODE  0400

static void keygen_usage(FILE *out)
{
    fprintf(out,
            "Usage: vigil keygen [-k FILE] [--force]\n"
            "Write a new random cluster key (%d bytes, mode 0400). Every node of the\n"
            "cluster needs the same key: copy it to all of them.\n"
            "\n"
            "Options:\n"
            "  -k, --key FILE  the key file to write (default: " CLI_DEFAULT_KEY ")\n"
            "  -f, --force     replace an existing key (a running cluster whose nodes\n"
            "                  do not all have the new key splits apart)\n"
            "  -h, --help      show this help and exit\n",
            KEY_BYTES);
}

/* Fills buf with n bytes from the kernel's random pool. Returns 0 or -errno. */
static int random_bytes(unsigned char *buf, size_t n)
{
    while (n > 0) {
        ssize_t got = getrandom(buf, n, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        buf += got;
        n -= (size_t)got;
    }
    return 0;
}

/* vigil keygen. */
int cmd_keygen(int argc, char **argv, struct cli_globals *g)
{
    static const struct option opts[] = {
        {"key", required_argument, NULL, 'k'},
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *path = CLI_DEFAULT_KEY;
    bool force = false;
    int c;
    while ((c = getopt_long(argc, argv, ":k:fh", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
            path = optarg;
            break;
        case 'f':
            force = true;
            break;
        case 'h':
            keygen_usage(stdout);
            return CLI_EXIT_OK;
        default:
            return cli_bad_option("keygen", c, argv);
        }
    }
    if (cli_no_args("keygen", argc, argv) != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;
    if (!*path)
        return cli_usage_error("keygen", "the key file name is empty");

    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!force) {
            cli_error("%s already exists; not replacing it.\n"
                      "Every node must have the same key: replacing the key of a running "
                      "cluster splits it.\n"
                      "Use --force to replace it anyway, then copy it to every node.",
                      path);
            return CLI_EXIT_ERROR;
        }
        if (S_ISDIR(st.st_mode)) {
            cli_error("%s is a directory", path);
            return CLI_EXIT_ERROR;
        }
    } else if (errno != ENOENT) {
        cli_error("cannot check %s: %s", path, strerror(errno));
        return CLI_EXIT_ERROR;
    }

    unsigned char key[KEY_BYTES];
    int r = random_bytes(key, sizeof(key));
    if (r < 0) {
        cli_error("cannot get random bytes: %s", strerror(-r));
        return CLI_EXIT_ERROR;
    }
    r = write_file_atomic(path, key, sizeof(key), KEY_MODE);
    explicit_bzero(key, sizeof(key));
    if (r < 0) {
        cli_error("cannot write %s: %s", path, strerror(-r));
        return CLI_EXIT_ERROR;
    }
    printf("%s: wrote a new %d-byte cluster key; copy it to every node (mode 0400).\n", path,
           KEY_BYTES);
    return CLI_EXIT_OK;
}
