/* no_uring: runs a command in a process where io_uring_setup fails, as on a kernel without
 * io_uring (ENOSYS) or under a policy that forbids it (EPERM), so the io_uring engine's
 * "unavailable" path can be tested without touching the machine-wide kernel.io_uring_disabled.
 *
 *   no_uring ENOSYS|EPERM COMMAND [ARG...]
 *
 * The filter (libseccomp) denies io_uring_setup, io_uring_enter and io_uring_register with that
 * errno and allows everything else; it is inherited across execve and by every child. */
#include <cerrno>
#include <seccomp.h>
#include <cstdio>
#include <cstring>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: no_uring ENOSYS|EPERM COMMAND [ARG...]\n");
    return 2;
  }
  int err;
  if (strcmp(argv[1], "ENOSYS") == 0) {
    err = ENOSYS;
  } else if (strcmp(argv[1], "EPERM") == 0) {
    err = EPERM;
  } else {
    fprintf(stderr, "no_uring: expected ENOSYS or EPERM, got '%s'\n", argv[1]);
    return 2;
  }
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == nullptr) {
    fprintf(stderr, "no_uring: seccomp_init failed\n");
    return 2;
  }
  int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err), SCMP_SYS(io_uring_setup), 0);
  if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err), SCMP_SYS(io_uring_enter), 0);
  if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err), SCMP_SYS(io_uring_register), 0);
  if (rc == 0) rc = seccomp_load(ctx); // sets no_new_privs first: needs no privilege
  seccomp_release(ctx);
  if (rc != 0) {
    fprintf(stderr, "no_uring: loading the seccomp filter failed: %s\n", strerror(-rc));
    return 2;
  }
  execvp(argv[2], argv + 2);
  fprintf(stderr, "no_uring: cannot run %s: %s\n", argv[2], strerror(errno));
  return 127;
}
