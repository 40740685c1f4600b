// sockit proto: the chapter's framed command protocol (ECHO/TIME/PING/QUIT). `serve` runs a server
// on the event loop, byte-compatible with the chapter's programs; `call` is its client. Both speak
// sockit's v2 frame with --v2. The wire format is in docs/protocol.md.
#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "proto/client.hpp"
#include "proto/server.hpp"
#include "services/server_args.hpp"
#include "tls_flags.hpp"
#include "sockit/frame_codec.hpp"

namespace sockit::cli {

namespace {

struct serve_args {
  std::optional<std::string> bind;  // not given: loopback, both families
  std::string port = "8080";
  std::string threads = "1";
  std::string address;  // unix:/path or unix:@name
  proto::server_options opts;
  tls_flags tls;  // --tls --tls-cert --tls-key: TCP on IP addresses only
  CLI::Option *port_opt = nullptr, *bind_opt = nullptr;
};

int run_serve(serve_args& a, bool json) {
  int code = exit_ok;
  if (!check_tls_flags(a.tls, true, a.address.empty() ? nullptr : "a unix: address (proto serve --tls is TCP)", code)) {
    return code;
  }
  if (a.tls.on) {
    a.opts.tls = &*a.tls.ctx;
    a.opts.tls_handshake_timeout = a.tls.handshake_limit();
  }
  if (!a.address.empty()) {
    if (!is_unix_address_text(a.address)) {
      return fail_message(fmt::format("bad address '{}': proto serve takes unix:/path or unix:@name here (an IP "
                                      "address: --bind ADDR --port PORT)",
                                      a.address),
                          exit_usage);
    }
    for (auto* o : {a.port_opt, a.bind_opt}) {
      if (o->count() > 0) return fail_message(fmt::format("{} has no meaning with a unix: address", o->get_name()), exit_usage);
    }
    if (a.opts.unix.dgram) return fail_message("--unix-dgram: proto serves streams only", exit_usage);
    unix_address at;
    if (!check_unix_args(a.address, a.opts.unix, a.opts.sock, at, code)) return code;
    a.opts.unix_at = at;
  } else {
    unix_address unused;
    if (!check_unix_args({}, a.opts.unix, a.opts.sock, unused, code)) return code;
  }
  if (!parse_server_bind(a.bind, a.opts.at, a.opts.loopback_pair, code)) return code;
  std::uint16_t port = 0;
  if (!parse_port_option("--port", a.port, port, code)) return code;
  a.opts.at.set_port(port);
  if (!parse_threads_arg(a.threads, a.opts.threads, code)) return code;
  if (!check_socket_flags(a.opts.sock, true, code)) return code;
  a.opts.json = json;
  return proto::run_server(a.opts);  // raises the descriptor limit, as the other servers
}

void setup_serve_sub(CLI::App& cmd, context& ctx) {
  auto a = std::make_shared<serve_args>();
  cmd.add_option("ADDRESS", a->address, "unix:/path or unix:@name: serve on a Unix stream socket instead of TCP");
  a->port_opt = cmd.add_option("-p,--port", a->port, "TCP port; 0: any free port")->capture_default_str();
  a->bind_opt = cmd.add_option("-b,--bind", a->bind, bind_help);
  cmd.add_option("--max-payload", a->opts.max_payload,
                 "Largest v1 payload accepted and sent, in bytes (the chapter's 4096; at most 65535). Every "
                 "answer is held to it: one that does not fit becomes a RESP_ERROR, a reason is cut to fit")
      ->check(int_check(0, sockit::proto::v1_max_payload, "bytes"))
      ->capture_default_str();
  cmd.add_option("--max-payload-v2", a->opts.max_payload_v2, "Largest v2 payload accepted and sent, in bytes (same rule)")
      ->check(int_check(0, std::int64_t{1} << 30, "bytes"))
      ->capture_default_str();
  cmd.add_flag("--v2", a->opts.v2, "Also accept v2 frames (told apart by their magic bytes C5 53 4B)");
  cmd.add_option("--idle-timeout", a->opts.idle_timeout, "Close connections silent for SECS; 0: never")
      ->check(seconds_check(true))
      ->capture_default_str();
  cmd.add_option("--drain-timeout", a->opts.drain_timeout,
                 "After an error or QUIT, read and discard the peer's input for at most SECS before closing; "
                 "on SIGINT/SIGTERM, let queued answers leave for up to SECS (a second signal stops at once)")
      ->check(seconds_check(true, 3600))
      ->capture_default_str();
  cmd.add_option("--threads", a->threads,
                 "Event loops, each on its own thread with its own listening socket (SO_REUSEPORT): "
                 "a number or 'auto' (one per core)")
      ->capture_default_str();
  cmd.add_option("--max-conns,--max-connections", a->opts.max_connections,
                 "Open connections per loop; more are refused (clean close). Default: as many as the "
                 "descriptor limit allows (raised to the hard limit at start)")
      ->check(int_check(1, 1000000));
  cmd.add_option("--time-format", a->opts.time_format,
                 "strftime pattern for TIME (default: ISO 8601 with the UTC offset)");
  add_engine_option(cmd, a->opts.eng);
  add_socket_flags(cmd, a->opts.sock, {.tcp = true, .server = true, .client = false});
  add_unix_flags(cmd, a->opts.unix, true);
  add_tls_flags(cmd, a->tls, true);
  cmd.footer(
      "Examples:\n"
      "  sockit proto serve                              # 127.0.0.1:8080, v1 only\n"
      "  sockit proto serve --mode 600 unix:/tmp/proto.sock   # a Unix stream socket (file removed at exit)\n"
      "  sockit proto serve --v2 --port 9000             # v1 and v2 clients\n"
      "  sockit proto serve --time-format '%-d-%-m-%y %H:%M:%S'   # the chapter's TIME text\n"
      "  sockit proto serve --threads auto --max-conns 10000      # one loop per core\n"
      "  sockit proto serve --drain-timeout 5             # Ctrl+C: answers leave, 5 s at most\n"
      "  sockit -v proto serve --engine uring             # Linux: TCP on io_uring completions (the default where the ring opens)\n"
      "  sockit proto serve --tls --tls-cert cert.pem --tls-key key.pem   # over TLS (proto call --tls)\n"
      "  printf '\\x04\\x00\\x00\\x00\\x00\\x00\\x00\\x00' | nc -N 127.0.0.1 8080 | od -An -tx1");
  cmd.callback([a, &ctx] { ctx.run = [a, &ctx] { return run_serve(*a, ctx.json); }; });
}

// The options of `call`, also accepted after a command that takes no text (`ping -c 5`).
CLI::Option* add_call_options(CLI::App& cmd, proto::client_options& a) {
  cmd.add_flag("--v2", a.v2, "Speak v2 frames (request ids, CRC32C)");
  cmd.add_option("-w,--timeout", a.timeout, "Seconds to connect, and to wait for each response")
      ->check(seconds_check(false))
      ->capture_default_str();
  cmd.add_option("--heartbeat", a.heartbeat,
                 "PING an idle connection every SECS; no byte from the peer within SECS of a request (the PING "
                 "or any other), or a TCP failure within 2xSECS, is a dead peer")
      ->check(seconds_check(true));
  auto* count = cmd.add_option("-c,--count", a.count, "Send the command N times and print latency statistics")
                    ->check(int_check(1, 100000000));
  cmd.add_option("-i,--interval", a.interval, "Seconds between repeated commands")
      ->check(seconds_check(true))
      ->capture_default_str();
  cmd.add_option("--max-payload", a.max_payload,
                 "Largest v1 payload sent or accepted, in bytes (a longer text is refused before sending)")
      ->check(int_check(0, sockit::proto::v1_max_payload, "bytes"))
      ->capture_default_str();
  cmd.add_option("--max-payload-v2", a.max_payload_v2, "Largest v2 payload sent or accepted, in bytes")
      ->check(int_check(0, no_upper_bound, "bytes"))
      ->capture_default_str();
  add_socket_flags(cmd, a.sock, {.tcp = true, .server = false, .client = true});
  return count;
}

bool takes_text(std::string word) {
  for (auto& ch : word) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return word == "echo" || word == "raw";
}

// `rest` is everything CLI11 left unparsed (prefix command, no fallthrough): global flags placed
// before the command word, then the word and all that follows it, untouched. After `echo` or
// `raw` it is all text, dashes included (a `--` right after the word is dropped, so the form
// `echo -- -x` also works); after a word without text, options may follow (`ping -c 5`).
int split_command(std::vector<std::string> rest, proto::client_options& a, context& ctx, bool& count_given) {
  std::size_t i = 0;
  for (; i < rest.size() && rest[i].size() > 1 && rest[i][0] == '-'; ++i) {
    const auto& f = rest[i];
    if (f == "--") {
      ++i;
      break;
    }
    if (f == "-x" || f == "--hexdump") {
      ctx.hexdump = true;
    } else if (f == "--json") {
      ctx.json = true;
    } else if (f == "--verbose") {
      ++ctx.verbosity;
    } else if (f.find_first_not_of('v', 1) == std::string::npos) {
      ctx.verbosity += static_cast<int>(f.size() - 1);  // -v, -vv
    } else {
      return fail_message("unknown option '" + f + "' for 'sockit proto call' (see 'sockit proto call --help')",
                          exit_usage);
    }
  }
  rest.erase(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(i));
  if (rest.empty()) return exit_ok;
  a.words = {rest.front()};
  std::vector<std::string> tail(rest.begin() + 1, rest.end());
  if (takes_text(rest.front())) {
    if (!tail.empty() && tail.front() == "--") tail.erase(tail.begin());
    a.words.insert(a.words.end(), tail.begin(), tail.end());
    return exit_ok;
  }
  CLI::App opts("options after the command", "sockit proto call");
  auto* count = add_call_options(opts, a);
  // Counted into locals and added: CLI11's counting flag overwrites its variable, which would drop
  // a -v given before the command word.
  bool hexdump = false, json = false;
  int verbosity = 0;
  opts.add_flag("-x,--hexdump", hexdump, "Dump traffic to stderr in hex");
  opts.add_flag("--json", json, "One JSON object per line");
  opts.add_flag("-v,--verbose", verbosity, "Log to stderr");
  std::vector<std::string> stray;  // handed to parse_request, which says this command takes no text
  opts.add_option("text", stray, "");
  opts.set_help_flag();
  std::reverse(tail.begin(), tail.end());  // CLI11 takes a vector in reverse order
  try {
    opts.parse(tail);
  } catch (const CLI::ParseError& e) {
    return fail_message(parse_error_line(opts, e), exit_usage);
  }
  if (auto line = empty_option_value(opts); !line.empty()) return fail_message(line, exit_usage);
  a.words.insert(a.words.end(), stray.begin(), stray.end());
  ctx.hexdump = ctx.hexdump || hexdump;
  ctx.json = ctx.json || json;
  ctx.verbosity += verbosity;
  count_given = count_given || count->count() > 0;
  return exit_ok;
}

void setup_call_sub(CLI::App& cmd, context& ctx) {
  auto a = std::make_shared<proto::client_options>();
  cmd.add_option("address", a->address, "Server HOST:PORT, or unix:/path, unix:@name (a Unix stream socket)")->required();
  auto* count = add_call_options(cmd, *a);
  add_tls_flags(cmd, a->tls, false);
  // Everything from the command word on is left to split_command: CLI11 would otherwise read
  // `echo -x` as the global --hexdump flag and send an empty ECHO.
  cmd.prefix_command();
  cmd.fallthrough(false);
  cmd.positionals_at_end(false);
  // A hidden positional that refuses every value: it keeps a free positional slot, so that CLI11
  // hands a `--` before the command word (`call ADDR -- echo -x`) to the leftovers instead of
  // giving it back to `proto`, which would then see `echo` as a stray word.
  cmd.add_option("command", a->never_filled)
      ->check(CLI::Validator([](std::string&) { return std::string("never"); }, ""))
      ->group("");
  cmd.validate_positionals();
  cmd.footer(
      "ping, time and quit may be followed by options; after echo and raw everything is text, even words\n"
      "that start with '-' (options go before the command word). No command: commands are read from stdin.\n"
      "Prints one line per response: the status (OK or ERROR) and the payload; --json prints one object\n"
      "per response. Exit status 1 if any response was an ERROR or the connection failed.\n"
      "Examples:\n"
      "  sockit proto call 127.0.0.1:8080 ping\n"
      "  sockit proto call 127.0.0.1:8080 echo hello world\n"
      "  sockit proto call 127.0.0.1:8080 echo -x --y      # sends '-x --y'\n"
      "  sockit proto call 127.0.0.1:8080 raw 99 x        # any command byte\n"
      "  sockit proto call 127.0.0.1:8080 ping -c 5 -i 0.2 # latency statistics, like ping; Ctrl+C stops\n"
      "  sockit proto call unix:/tmp/proto.sock time       # a server on a Unix socket (proto serve unix:...)\n"
      "  sockit proto call --tls --tls-ca ca.pem localhost:8443 ping   # over TLS (proto serve --tls)\n"
      "  printf 'ping\\ntime\\nquit\\n' | sockit proto call 127.0.0.1:8080   # pipelined\n"
      "  sockit proto call 127.0.0.1:8080 --heartbeat 5   # REPL; dead peer detected within 5-10 s");
  cmd.callback([a, count, &cmd, &ctx] {
    // Split here, during parsing: a -v among the leftovers must count before logging is set up.
    bool count_given = count->count() > 0;
    int split_rc = split_command(cmd.remaining(), *a, ctx, count_given);
    ctx.run = [a, count_given, split_rc, &ctx] {
      if (split_rc != exit_ok) return split_rc;
      a->json = ctx.json;
      a->hexdump = ctx.hexdump;
      a->count_given = count_given;
      return proto::run_client(*a);
    };
  });
}

}  // namespace

void setup_proto(CLI::App& cmd, context& ctx) {
  cmd.require_subcommand(1);
  setup_serve_sub(*cmd.add_subcommand("serve", "Serve the protocol on the event loop (many clients, pipelining)"), ctx);
  setup_call_sub(*cmd.add_subcommand("call", "Send commands and print the responses"), ctx);
  cmd.footer(
      "Examples:\n"
      "  sockit proto serve &\n"
      "  sockit proto call 127.0.0.1:8080 time");
}

}  // namespace sockit::cli
