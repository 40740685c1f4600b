// The pure parts of --exec/--sh-exec (apps/sockit/child_process.hpp): how --exec text is split,
// how an exit is worded and turned into an exit code. Spawning is tested by interop/test_exec.sh.
#include "child_process.hpp"

#include <csignal>

#include <gtest/gtest.h>

namespace sockit::cli {
namespace {

using words = std::vector<std::string>;

TEST(split_exec, splits_at_runs_of_blanks_without_quoting) {
  EXPECT_EQ(split_exec("rev").argv, (words{"rev"}));
  EXPECT_EQ(split_exec("  grep  -E\t^Sig(Blk|Ign) /proc/self/status ").argv,
            (words{"grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"}));
  EXPECT_EQ(split_exec("echo 'a b'").argv, (words{"echo", "'a", "b'"}));  // as ncat -e: no quoting
  EXPECT_FALSE(split_exec("rev").shell);
  EXPECT_TRUE(split_exec("").argv.empty());
  EXPECT_TRUE(split_exec(" \t ").argv.empty());
}

TEST(shell_exec, runs_the_text_with_sh_c) {
  auto c = shell_exec("sort | uniq -c");
  EXPECT_TRUE(c.shell);
  EXPECT_EQ(c.argv, (words{"sh", "-c", "sort | uniq -c"}));
  EXPECT_EQ(c.text, "sort | uniq -c");
}

TEST(describe_exit, status_or_signal_by_name) {
  EXPECT_EQ(describe_exit({.pid = 1, .code = 0, .signal = 0}), "exited with status 0");
  EXPECT_EQ(describe_exit({.pid = 1, .code = 3, .signal = 0}), "exited with status 3");
  EXPECT_EQ(describe_exit({.pid = 1, .code = 0, .signal = SIGPIPE}), "killed by signal 13 (SIGPIPE)");
  EXPECT_EQ(describe_exit({.pid = 1, .code = 0, .signal = SIGKILL}), "killed by signal 9 (SIGKILL)");
}

TEST(exit_code_of, the_status_or_128_plus_the_signal) {
  EXPECT_EQ(exit_code_of({.pid = 1, .code = 7, .signal = 0}), 7);
  EXPECT_EQ(exit_code_of({.pid = 1, .code = 0, .signal = SIGTERM}), 143);
}

}  // namespace
}  // namespace sockit::cli
