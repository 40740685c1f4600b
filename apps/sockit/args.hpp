// Every argument helper the subcommands share, in one place: addresses, hosts, ports and port
// lists, counts of seconds, --threads, --engine, and the line a failed bind prints. Private to the CLI.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "cli_fwd.hpp"

#include "sockit/endpoint.hpp"
#include "sockit/event_loop.hpp"
#include "sockit/result.hpp"

namespace sockit::cli {

// ---- addresses, hosts and ports ----------------------------------------------------------------

// Every PORT a user types is a number or a service name from /etc/services, looked up for the
// command's transport `t` ("ssh" is 22 for TCP; "bootps" is only a UDP name), as netcat does.

// The usage line for a HOST:PORT `text` that failed to parse with `ec`: "bad <what> 'text': why",
// except a port that is neither a number nor a service name, which the line names alone
// ("bad port 'nosuch': not a port number ... nor a service name in /etc/services"). Returns exit_usage.
int address_usage_error(std::string_view what, std::string_view text, std::error_code ec);

// Parses "HOST:PORT", "[v6]:PORT", ":PORT" or "PORT"; on error prints a usage error line.
bool parse_address_arg(std::string_view text, host_port& out, int& exit, transport t = transport::tcp);

// Parses a PORT positional ("0".."65535" or a name); on error prints a usage line and sets exit.
bool parse_port_arg(std::string_view text, std::uint16_t& port, int& exit, transport t = transport::tcp);
// A port option's value "0".."65535" or a name; otherwise a usage error naming the flag.
bool parse_port_option(std::string_view flag, std::string_view text, std::uint16_t& out, int& exit,
                       transport t = transport::tcp);

// Rejects host text that cannot be a name or an address before it can reach a resolver: text
// with ':' or made of digits and dots must be a strict numeric address ("127.1" and "1.2.3.4.5"
// are refused, see sockit::resolve). "[::1]" is accepted as "::1".
bool check_host_arg(std::string& host, int& exit);

// "127.0.0.1", "::1", "[::1]", "0.0.0.0", "::" or a host name ("localhost"). Malformed text is a
// usage error (exit 2); a name that does not resolve is a runtime failure (exit 1). Text that
// could only be a mistyped address (digits and dots, "127.1") never reaches a resolver.
bool parse_bind_address(std::string_view text, endpoint& out, int& exit, std::string_view what = "--bind address");

// probe's PORTS: "22", "80,443", "8000-8100", "ssh,http", "ftp-ssh" and mixes of them; order kept,
// duplicates dropped, 1..65535. A name with a dash ("http-alt") is a name before it is a range.
// Anything else is errc::bad_port, or errc::unknown_service for a word that names no service
// (then `bad_item`, when given, gets that word).
result<std::vector<std::uint16_t>> parse_port_list(std::string_view text, transport t = transport::tcp,
                                                   std::string* bad_item = nullptr);

// ---- counts ------------------------------------------------------------------------------------

// --threads, for the servers and bench alike: "auto" (one per core) or a number from 1 to 1024.
// `out` gets the count, "auto" already resolved; on error prints
// "sockit: bad --threads 'x': a number from 1 to 1024 or 'auto'" and sets exit_usage.
inline constexpr int max_threads = 1024;
bool parse_threads_arg(std::string_view text, int& out, int& exit);

// Every count of seconds a user types (-w, --wait, --idle-timeout, --drain-timeout) goes through
// one check: a finite decimal number, not negative (and above 0 unless zero means something), at
// most `max` (one year unless the flag says less), so converting it can never overflow.
inline constexpr double max_seconds = 365.0 * 24 * 3600;
// Why `text` is not such a number, or "" when it is: "must be a number of seconds from 0 to ...".
std::string seconds_problem(std::string_view text, bool zero_ok, double max = max_seconds);
// Parses seconds; on error prints "sockit: bad <what> '<text>': <why>" and sets exit_usage.
bool parse_seconds_arg(std::string_view what, std::string_view text, double& out, int& exit, bool zero_ok,
                       double max = max_seconds);
// The same check as a CLI11 validator for options parsed straight into a double.
CLI::Validator seconds_check(bool zero_ok, double max = max_seconds);
// A finite number from min to max (CLI::Range lets "nan" through and prints DBL_MAX bounds);
// `what` names the unit in the message ("replies per second").
CLI::Validator number_check(double min, double max, std::string what);
// A whole number from min to max, for every integer option (CLI::Range prints the type's limits
// and reads "1e3" or "2.5" as numbers). `what` names the unit ("bytes") or is empty; max =
// no_upper_bound says "at least MIN". Message: "bad value '0': must be a whole number of bytes
// from 1 to 4096".
inline constexpr long long no_upper_bound = std::numeric_limits<long long>::max();
CLI::Validator int_check(long long min, long long max, std::string what = "");
// For a port option parsed straight into an int (ping --tcp PORT): a service name becomes its
// number for `t`, before the int_check that follows it; an unknown name fails as parse_port does.
CLI::Validator service_name_transform(transport t);
// Seconds as a duration: clamped to max_seconds, and a positive value never rounds down to zero.
std::chrono::milliseconds seconds_to_ms(double seconds);

// ---- parse errors ------------------------------------------------------------------------------

// The text of a CLI11 parse error for the "sockit: ..." line: a hidden option's failed check has
// no name to show, so CLI11's ": bad value ..." loses its empty "NAME: " prefix.
std::string parse_error_text(const CLI::ParseError& e);
// The line for a failed parse of `root`'s command line (without "sockit: "). CLI11 sets an unknown
// option aside and goes on, so its value fills a positional and the error it reports is a
// consequence ("port is required", "not expected: 1 -p"); this names the cause instead, from what
// the parse left over: "unknown option '-p' for 'sockit connect' (see 'sockit connect --help')",
// "unknown command 'foo' for 'sockit udp' (send, recv)", "unexpected argument 'x' for ...", or
// "'sockit udp' needs a command (send, recv)". Otherwise parse_error_text(e). A command that keeps
// its leftovers (prefix_command: `proto call`'s command and text) judges them itself. A word that
// reads as a number ("-5"), or that the command line `args` (when given) has only after "--", is
// a value, never an option.
std::string parse_error_line(const CLI::App& root, const CLI::ParseError& e, const std::vector<std::string>& args = {});
// After a successful parse: the usage line for an option given an empty value ("-w ''", "-o ''"),
// which CLI11 would take as the option's default without a word; "" when there is none.
std::string empty_option_value(const CLI::App& root);
// For a word before the command word, whose options all take no value: "" when `arg` is one of
// root's own options ("--json", "-v", "-vx"), else the "unknown option '-q' for 'sockit'" line.
std::string unknown_global_option(const CLI::App& root, std::string_view arg);

// ---- options and failures shared by the servers ------------------------------------------------

// Adds --engine (auto|epoll...) to a subcommand that runs an event loop.
CLI::Option* add_engine_option(CLI::App& app, engine& e);
// Adds the hidden global --engines: prints "NAME MAX_FDS" per available backend and exits 0.
void add_engines_flag(CLI::App& app);

// A failed bind, in one line with a hint where the errno alone does not say what to do: for
// EACCES the lowest unprivileged port, for EADDRINUSE that someone holds it; `choose` says how to
// pick another ("choose another with --echo-port"). Prints the line and returns exit_failure.
int bind_failure(std::string_view what, std::error_code ec, std::string_view choose);
// The same line without printing it, for a caller that prints it its own way.
std::string bind_failure_line(std::string_view what, std::error_code ec, std::string_view choose);

}  // namespace sockit::cli
