// The argument helpers every subcommand shares (apps/sockit/args.hpp): probe's port lists,
// --threads, counts of seconds, host and port checks, --engine, and the bind-failure line.
// Nothing here resolves a real name: hosts are numeric or malformed.
#include "args.hpp"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli.hpp"
#include "sockit/error.hpp"

namespace sockit::cli {
namespace {

using ports = std::vector<std::uint16_t>;

ports list(std::string_view text) {
  auto r = parse_port_list(text);
  EXPECT_TRUE(r) << "'" << text << "': " << r.error().message();
  return r ? *r : ports{};
}

TEST(parse_port_list, singles_lists_and_ranges_in_order_without_duplicates) {
  EXPECT_EQ(list("22"), (ports{22}));
  EXPECT_EQ(list("443,80"), (ports{443, 80}));
  EXPECT_EQ(list("8000-8003"), (ports{8000, 8001, 8002, 8003}));
  EXPECT_EQ(list("5,1-3,2,5,4-4"), (ports{5, 1, 2, 3, 4}));
  EXPECT_EQ(list("65535"), (ports{65535}));
  EXPECT_EQ(list("1-65535").size(), 65535u);
}

TEST(parse_port_list, refuses_anything_else) {
  for (auto bad : {"", "0", "65536", "-1", "1-", "-5", "5-1", "1,,2", "1,", ",1", "1-2-3", "0-10"}) {
    auto r = parse_port_list(bad);
    EXPECT_FALSE(r) << "'" << bad << "' was accepted";
    if (!r) EXPECT_EQ(r.error(), make_error_code(errc::bad_port)) << bad;
  }
  // Not numbers, so read as service names, and there is none by that name.
  for (auto bad : {"a", " 1", "1 ", "80;443", "+5", "nosuch", "22,nosuch", "nosuch-80", "80-nosuch", "ssh-nosuch"}) {
    auto r = parse_port_list(bad);
    EXPECT_FALSE(r) << "'" << bad << "' was accepted";
    if (!r) EXPECT_EQ(r.error(), make_error_code(errc::unknown_service)) << bad;
  }
}

// Names come from /etc/services (Debian's netbase, which scripts/deps.sh installs).
TEST(parse_port_list, service_names_for_the_transport) {
  EXPECT_EQ(list("ssh"), (ports{22}));
  EXPECT_EQ(list("ssh,http,8000-8001"), (ports{22, 80, 8000, 8001}));
  EXPECT_EQ(list("www,http"), (ports{80}));                 // an alias, and a duplicate
  EXPECT_EQ(list("http-alt"), (ports{8080}));               // a name with a dash is a name
  EXPECT_EQ(list("ftp-ssh"), (ports{21, 22}));              // a range between two names
  EXPECT_EQ(list("ssh-25"), (ports{22, 23, 24, 25}));
  auto udp = parse_port_list("domain,bootps", transport::udp);
  ASSERT_TRUE(udp);
  EXPECT_EQ(*udp, (ports{53, 67}));
  // bootps is a UDP name only, ssh a TCP one: no fallback to the other transport (as nc).
  EXPECT_FALSE(parse_port_list("bootps", transport::tcp));
  EXPECT_FALSE(parse_port_list("ssh", transport::udp));
  std::string bad;
  EXPECT_FALSE(parse_port_list("22,ssh-nosuch,80", transport::tcp, &bad));
  EXPECT_EQ(bad, "nosuch");
  bad.clear();
  EXPECT_FALSE(parse_port_list("bogus", transport::tcp, &bad));
  EXPECT_EQ(bad, "bogus");
}

TEST(parse_threads_arg, a_number_from_1_to_1024_or_auto) {
  int n = -1, exit = exit_ok;
  EXPECT_TRUE(parse_threads_arg("1", n, exit));
  EXPECT_EQ(n, 1);
  EXPECT_TRUE(parse_threads_arg("1024", n, exit));
  EXPECT_EQ(n, 1024);
  EXPECT_TRUE(parse_threads_arg("auto", n, exit));
  EXPECT_EQ(n, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  EXPECT_EQ(exit, exit_ok);
  // What stoi would have read as a number: trailing junk, blanks, a sign.
  for (auto bad : {"0", "1025", "-1", "", "2x", " 2", "+2", "0x10", "1.5", "AUTO", "99999999999"}) {
    exit = exit_ok;
    n = -1;
    EXPECT_FALSE(parse_threads_arg(bad, n, exit)) << "'" << bad << "' was accepted";
    EXPECT_EQ(exit, exit_usage) << bad;
    EXPECT_EQ(n, -1) << bad;
  }
}

TEST(seconds, problems_name_the_allowed_range) {
  EXPECT_EQ(seconds_problem("0.5", false), "");
  EXPECT_EQ(seconds_problem("0", true), "");
  EXPECT_EQ(seconds_problem("31536000", false), "");
  EXPECT_EQ(seconds_problem("0", false), "must be a number of seconds greater than 0, at most 31536000 (e.g. 0.5)");
  EXPECT_EQ(seconds_problem("-1", true), "must be a number of seconds from 0 to 31536000 (e.g. 0.5)");
  EXPECT_EQ(seconds_problem("3601", true, 3600), "must be a number of seconds from 0 to 3600 (e.g. 0.5)");
  for (auto bad : {"", "nan", "inf", "1e400", "31536001", "+1", " 1", "1s", "0x1"}) {
    EXPECT_NE(seconds_problem(bad, true), "") << "'" << bad << "' was accepted";
  }
}

TEST(seconds, parse_seconds_arg_sets_the_value_or_a_usage_exit) {
  double v = -1;
  int exit = exit_ok;
  EXPECT_TRUE(parse_seconds_arg("wait", "2.25", v, exit, false));
  EXPECT_DOUBLE_EQ(v, 2.25);
  EXPECT_FALSE(parse_seconds_arg("wait", "0", v, exit, false));
  EXPECT_EQ(exit, exit_usage);
  EXPECT_DOUBLE_EQ(v, 2.25);
}

TEST(seconds, to_milliseconds_clamps_and_never_rounds_a_positive_value_to_zero) {
  using ms = std::chrono::milliseconds;
  EXPECT_EQ(seconds_to_ms(0), ms(0));
  EXPECT_EQ(seconds_to_ms(-3), ms(0));
  EXPECT_EQ(seconds_to_ms(1e-9), ms(1));
  EXPECT_EQ(seconds_to_ms(1.5), ms(1500));
  EXPECT_EQ(seconds_to_ms(1e300), ms(static_cast<std::int64_t>(max_seconds * 1000)));
}

TEST(validators, seconds_check_and_number_check) {
  auto secs = seconds_check(true, 10);
  std::string text = "5";
  EXPECT_EQ(secs(text), "");
  text = "11";
  EXPECT_EQ(secs(text), "bad value '11': must be a number of seconds from 0 to 10 (e.g. 0.5)");
  auto num = number_check(1, 1e9, "replies");
  text = "1";
  EXPECT_EQ(num(text), "");
  for (auto bad : {"0", "nan", "inf", "1e10", "x"}) {
    text = bad;
    EXPECT_NE(num(text), "") << bad;
  }
  text = "0";
  EXPECT_EQ(num(text), "bad value '0': must be a number of replies from 1 to 1000000000");
}

TEST(validators, int_check_names_the_range_in_words) {
  auto conns = int_check(1, 1000000);
  std::string text;
  for (auto good : {"1", "1000000", "42"}) {
    text = good;
    EXPECT_EQ(conns(text), "") << good;
  }
  // Not read as something else: no exponent, no fraction, no sign, no spaces, no hex.
  for (auto bad : {"0", "1000001", "-5", "abc", "1e3", "1.5", "nan", "inf", "+3", " 3", "3 ", "0x10", "",
                   "99999999999999999999"}) {
    text = bad;
    EXPECT_EQ(conns(text), fmt::format("bad value '{}': must be a whole number from 1 to 1000000", bad)) << bad;
  }
  auto bytes = int_check(0, 65535, "bytes");
  text = "65536";
  EXPECT_EQ(bytes(text), "bad value '65536': must be a whole number of bytes from 0 to 65535");
  auto count = int_check(1, no_upper_bound);
  text = "9223372036854775807";
  EXPECT_EQ(count(text), "");
  text = "0";
  EXPECT_EQ(count(text), "bad value '0': must be a whole number, at least 1");
}

TEST(validators, a_failed_check_says_the_option_name_once) {
  CLI::App app("test", "sockit");
  int n = 0, hidden = 0;
  app.add_option("-c,--connections", n)->check(int_check(1, 10));
  app.add_option("--hidden", hidden)->check(int_check(1, 10))->group("");
  auto error_of = [&app](std::vector<std::string> args) -> std::string {
    std::reverse(args.begin(), args.end());
    try {
      app.parse(args);
    } catch (const CLI::ParseError& e) {
      return parse_error_text(e);
    }
    return "";
  };
  EXPECT_EQ(error_of({"-c", "0"}), "--connections: bad value '0': must be a whole number from 1 to 10");
  app.clear();
  EXPECT_EQ(error_of({"--hidden", "x"}), "bad value 'x': must be a whole number from 1 to 10");
}

// A tree shaped like sockit's: global flags that fall through, a command with positionals, a
// command with subcommands.
struct cli_tree {
  CLI::App app{"test", "sockit"};
  bool verbose = false;
  std::string host, port, target;
  int count = 1;
  cli_tree() {
    app.require_subcommand(1);
    app.fallthrough();
    app.add_flag("-v,--verbose", verbose);
    auto* connect = app.add_subcommand("connect");
    connect->add_option("host", host)->required();
    connect->add_option("port", port)->required();
    connect->add_option("-c,--count", count)->check(int_check(1, 10));
    auto* udp = app.add_subcommand("udp");
    udp->require_subcommand(1);
    udp->add_subcommand("send")->add_option("target", target)->required();
    udp->add_subcommand("recv");
  }
  // The line for args, or "" when they parse.
  std::string error_of(std::vector<std::string> args) {
    auto argv = args;
    std::reverse(args.begin(), args.end());
    try {
      app.parse(args);
    } catch (const CLI::ParseError& e) {
      return parse_error_line(app, e, argv);
    }
    return "";
  }
};

TEST(parse_errors, unknown_options_and_commands_are_named_as_such) {
  EXPECT_EQ(cli_tree().error_of({"connect", "-p", "40000", "127.0.0.1", "1"}),
            "unknown option '-p' for 'sockit connect' (see 'sockit connect --help')");
  EXPECT_EQ(cli_tree().error_of({"connect", "-l", "9000"}),
            "unknown option '-l' for 'sockit connect' (see 'sockit connect --help')");
  EXPECT_EQ(cli_tree().error_of({"connect", "h", "1", "--bogus=2"}),
            "unknown option '--bogus' for 'sockit connect' (see 'sockit connect --help')");
  EXPECT_EQ(cli_tree().error_of({"connect", "h", "1", "-vq"}),
            "unknown option '-q' for 'sockit connect' (see 'sockit connect --help')");
  EXPECT_EQ(cli_tree().error_of({"udp", "send", "-q", "h:1"}),
            "unknown option '-q' for 'sockit udp send' (see 'sockit udp send --help')");
  EXPECT_EQ(cli_tree().error_of({"udp", "foo"}), "unknown command 'foo' for 'sockit udp' (send, recv)");
  EXPECT_EQ(cli_tree().error_of({"udp"}), "'sockit udp' needs a command (send, recv)");
  EXPECT_EQ(cli_tree().error_of({"connect", "h", "1", "x"}),
            "unexpected argument 'x' for 'sockit connect' (see 'sockit connect --help')");
  // After "--" a word is a word, and a negative number is a value with its own range error.
  EXPECT_EQ(cli_tree().error_of({"connect", "h", "--", "1", "-x"}),
            "unexpected argument '-x' for 'sockit connect' (see 'sockit connect --help')");
  EXPECT_EQ(cli_tree().error_of({"connect", "-c", "-5", "h", "1"}),
            "--count: bad value '-5': must be a whole number from 1 to 10");
  EXPECT_EQ(cli_tree().error_of({"connect", "h", "-5", "extra"}),
            "unexpected argument 'extra' for 'sockit connect' (see 'sockit connect --help')");
  // Global flags still work after the command.
  cli_tree t;
  EXPECT_EQ(t.error_of({"connect", "h", "1", "-v"}), "");
  EXPECT_TRUE(t.verbose);
}

TEST(parse_errors, unknown_global_option) {
  cli_tree t;
  EXPECT_EQ(unknown_global_option(t.app, "-v"), "");
  EXPECT_EQ(unknown_global_option(t.app, "--verbose"), "");
  EXPECT_EQ(unknown_global_option(t.app, "-vv"), "");
  EXPECT_EQ(unknown_global_option(t.app, "-"), "");
  EXPECT_EQ(unknown_global_option(t.app, "-q"), "unknown option '-q' for 'sockit' (see 'sockit --help')");
  EXPECT_EQ(unknown_global_option(t.app, "-vq"), "unknown option '-vq' for 'sockit' (see 'sockit --help')");
  EXPECT_EQ(unknown_global_option(t.app, "--bogus=1"), "unknown option '--bogus' for 'sockit' (see 'sockit --help')");
}

TEST(hosts_and_ports, port_arguments) {
  std::uint16_t port = 1;
  int exit = exit_ok;
  EXPECT_TRUE(parse_port_arg("0", port, exit));
  EXPECT_EQ(port, 0);
  EXPECT_TRUE(parse_port_option("--port", "65535", port, exit));
  EXPECT_EQ(port, 65535);
  EXPECT_TRUE(parse_port_arg("ssh", port, exit));
  EXPECT_EQ(port, 22);
  EXPECT_TRUE(parse_port_option("--port", "bootps", port, exit, transport::udp));
  EXPECT_EQ(port, 67);
  for (auto bad : {"65536", "-1", "", "nosuch", "80x"}) {
    exit = exit_ok;
    EXPECT_FALSE(parse_port_arg(bad, port, exit)) << bad;
    EXPECT_EQ(exit, exit_usage) << bad;
    exit = exit_ok;
    EXPECT_FALSE(parse_port_option("--port", bad, port, exit)) << bad;
    EXPECT_EQ(exit, exit_usage) << bad;
  }
}

TEST(hosts_and_ports, address_arguments) {
  host_port hp;
  int exit = exit_ok;
  ASSERT_TRUE(parse_address_arg("[::1]:7", hp, exit));
  EXPECT_EQ(hp.host, "::1");
  EXPECT_EQ(hp.port, 7);
  ASSERT_TRUE(parse_address_arg("8080", hp, exit));
  EXPECT_EQ(hp.port, 8080);
  EXPECT_FALSE(parse_address_arg("127.0.0.1:99999", hp, exit));
  EXPECT_EQ(exit, exit_usage);
}

TEST(hosts_and_ports, host_checks_refuse_what_can_only_be_a_mistyped_address) {
  int exit = exit_ok;
  std::string host = "[::1]";
  EXPECT_TRUE(check_host_arg(host, exit));
  EXPECT_EQ(host, "::1");
  host = "example.invalid";  // a name is left to the resolver, which this never calls
  EXPECT_TRUE(check_host_arg(host, exit));
  for (auto bad : {"", "127.1", "1.2.3.4.5", "1:2:zz"}) {
    host = bad;
    exit = exit_ok;
    EXPECT_FALSE(check_host_arg(host, exit)) << bad;
    EXPECT_EQ(exit, exit_usage) << bad;
  }
}

TEST(hosts_and_ports, bind_addresses) {
  endpoint e;
  int exit = exit_ok;
  ASSERT_TRUE(parse_bind_address("127.0.0.1", e, exit));
  EXPECT_EQ(e.to_string(), "127.0.0.1:0");
  ASSERT_TRUE(parse_bind_address("[::1]", e, exit));
  EXPECT_EQ(e.to_string(), "[::1]:0");
  for (auto bad : {"", "[]", "127.1", "1.2.3.4.5", "1:2:zz", "a b"}) {
    exit = exit_ok;
    EXPECT_FALSE(parse_bind_address(bad, e, exit)) << bad;
    EXPECT_EQ(exit, exit_usage) << bad;
  }
}

TEST(engine_option, takes_a_name_in_any_case_and_refuses_others) {
  CLI::App app;
  engine e = engine::automatic;
  add_engine_option(app, e);
  app.parse(std::vector<std::string>{"POLL", "--engine"});  // CLI11 reads the vector backwards
  EXPECT_EQ(e, engine::poll);
  CLI::App bad;
  add_engine_option(bad, e);
  EXPECT_THROW(bad.parse(std::vector<std::string>{"3", "--engine"}), CLI::ValidationError);
  EXPECT_EQ(e, engine::poll);
}

TEST(bind_failure, says_what_to_do_for_a_port_in_use_or_a_privileged_port) {
  auto in_use = bind_failure_line("bind proto tcp 127.0.0.1:7000", std::make_error_code(std::errc::address_in_use),
                                  "choose another with --port");
  EXPECT_EQ(in_use, "bind proto tcp 127.0.0.1:7000: Address already in use (EADDRINUSE); another program holds it "
                    "(choose another with --port)");
  auto denied = bind_failure_line("listen 127.0.0.1:7", std::make_error_code(std::errc::permission_denied),
                                  "choose another, or 0");
  EXPECT_NE(denied.find("; ports below "), std::string::npos) << denied;
  EXPECT_NE(denied.find(" need root or CAP_NET_BIND_SERVICE (choose another, or 0)"), std::string::npos) << denied;
  // Other errors carry no hint.
  auto other = bind_failure_line("listen 127.0.0.1:7", std::make_error_code(std::errc::address_not_available), "x");
  EXPECT_EQ(other.find(';'), std::string::npos) << other;
}

}  // namespace
}  // namespace sockit::cli
