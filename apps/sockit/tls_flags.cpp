// --tls and its companions: checks, the handshake on a connected socket, its error lines.
#include "tls_flags.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "args.hpp"
#include "cli.hpp"
#include "printable.hpp"
#include "sockit/buffer.hpp"
#include "sockit/error.hpp"
#include "sockit/io.hpp"
#include "sockit/options.hpp"
#include "sockit/tls_error.hpp"
#include "sockit/wait.hpp"

namespace sockit::cli {
namespace {

bool usage(int& exit, const std::string& message) {
  exit = fail_message(message, exit_usage);
  return false;
}

// A file the user named must be there and readable before OpenSSL says something vaguer.
bool readable_file(const char* flag, const std::string& path, int& exit) {
  if (::access(path.c_str(), R_OK) != 0) return usage(exit, fmt::format("{} '{}': {}", flag, path, last_error().message()));
  return true;
}

}  // namespace

namespace {

void add_server_files(CLI::App& cmd, tls_flags& f, const char* group) {
  cmd.add_option("--tls-cert", f.cert, "The server's certificate (PEM, intermediates after it)")
      ->option_text("FILE")
      ->group(group);
  cmd.add_option("--tls-key", f.key, "The certificate's private key (PEM)")->option_text("FILE")->group(group);
}

void add_handshake_timeout(CLI::App& cmd, tls_flags& f, const char* name, const char* group) {
  cmd.add_option(name, f.handshake_timeout,
                 "Close a client that has not finished its TLS handshake within SECS (default 10); 0: no limit")
      ->check(seconds_check(true))
      ->option_text("SECS")
      ->group(group);
}

void add_client_trust(CLI::App& cmd, tls_flags& f, const char* group) {
  cmd.add_option("--tls-ca", f.ca, "Trust only the CAs in this PEM file, not the system's")
      ->option_text("FILE")
      ->group(group);
  cmd.add_flag("--tls-insecure", f.insecure,
               "Skip certificate and name checks (still encrypted, but anyone in the middle can read it)")
      ->group(group);
  cmd.add_option("--tls-sni", f.sni, "The server name to send and to verify (default: HOST, unless an address)")
      ->option_text("NAME")
      ->group(group);
}

void add_alpn(CLI::App& cmd, tls_flags& f, bool server, const char* group) {
  cmd.add_option(f.alpn_name, f.alpn,
                 server ? "Protocols to accept, in order of preference (ALPN), e.g. h2,http/1.1"
                        : "Protocols to offer (ALPN), e.g. h2,http/1.1; -v shows the one chosen")
      ->option_text("LIST")
      ->group(group);
}

}  // namespace

void add_tls_flags(CLI::App& cmd, tls_flags& f, bool server) {
  const char* group = "TLS";
  cmd.add_flag(f.name, f.on,
               server ? "Serve TLS (OpenSSL 3; TLS 1.2 or 1.3) with --tls-cert and --tls-key"
                      : "Speak TLS: verify the server against the system's CAs (or --tls-ca) and its name")
      ->group(group);
  if (server) {
    add_server_files(cmd, f, group);
    add_handshake_timeout(cmd, f, "--tls-handshake-timeout", group);
  } else {
    add_client_trust(cmd, f, group);
  }
  add_alpn(cmd, f, server, group);
}

void add_relay_tls_flags(CLI::App& cmd, tls_flags& in, tls_flags& out) {
  const char* group = "TLS";
  in.name = "--tls-in";
  out.name = "--tls-out";
  cmd.add_flag(in.name, in.on, "Clients speak TLS to the relay (it terminates TLS) with --tls-cert and --tls-key")
      ->group(group);
  add_server_files(cmd, in, group);
  in.alpn_name = "--tls-in-alpn";
  add_alpn(cmd, in, true, group);
  cmd.add_flag(out.name, out.on,
               "Speak TLS to TARGET (the relay originates TLS): verify it against the system's CAs (or --tls-ca) "
               "and its name")
      ->group(group);
  add_client_trust(cmd, out, group);
  add_alpn(cmd, out, false, group);
}

std::chrono::milliseconds tls_flags::handshake_limit() const { return seconds_to_ms(handshake_timeout.value_or(10)); }

bool check_tls_flags(tls_flags& f, bool server, const char* refused_with, int& exit) {
  if (!f.on) {
    const char* given = f.ca ? "--tls-ca" : f.insecure ? "--tls-insecure" : f.alpn ? f.alpn_name
                        : f.sni ? "--tls-sni" : f.cert ? "--tls-cert" : f.key ? "--tls-key"
                        : f.handshake_timeout ? "--tls-handshake-timeout" : nullptr;
    if (given) return usage(exit, fmt::format("{} needs {}", given, f.name));
    return true;
  }
  if (refused_with) return usage(exit, fmt::format("{} cannot be used with {}", f.name, refused_with));
#ifdef _WIN32
  // Debian has no OpenSSL for mingw-w64: the Windows build has no TLS (src/tls_windows.cpp).
  return usage(exit, fmt::format("{}: not available on Windows (this build has no OpenSSL)", f.name));
#endif
  std::vector<std::string> alpn;
  if (f.alpn) {
    auto list = parse_alpn_list(*f.alpn);
    if (!list) {  // the value as far as one line can show it (--tls-sni's 80 bytes)
      return usage(exit, fmt::format("bad {} '{}{}': {}", f.alpn_name, printable(f.alpn->substr(0, 80)),
                                     f.alpn->size() > 80 ? "..." : "", list.error().message()));
    }
    alpn = std::move(*list);
  }
  if (server) {
    if (!f.cert || !f.key) return usage(exit, fmt::format("{} needs --tls-cert FILE and --tls-key FILE", f.name));
    if (!readable_file("--tls-cert", *f.cert, exit) || !readable_file("--tls-key", *f.key, exit)) return false;
    auto ctx = tls_context::server({.cert_file = *f.cert, .key_file = *f.key, .alpn = alpn});
    if (!ctx) {
      bool cert_bad = ctx.error() == tls_errc::bad_certificate_file;
      return usage(exit, fmt::format("{} '{}': {}", cert_bad ? "--tls-cert" : "--tls-key", cert_bad ? *f.cert : *f.key,
                                     ctx.error().message()));
    }
    f.ctx = std::move(*ctx);
    return true;
  }
  if (f.ca && f.insecure) return usage(exit, "--tls-ca and --tls-insecure contradict each other: choose one");
  if (f.sni && f.sni->empty()) return usage(exit, "bad --tls-sni '': a name is needed");
  // RFC 6066: a DNS host name. OpenSSL would send control characters as they are, and silently
  // send no SNI at all past 255 bytes.
  if (f.sni && (f.sni->size() > 253 ||
                f.sni->find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") !=
                    std::string::npos)) {
    return usage(exit, fmt::format("bad --tls-sni '{}': a host name is letters, digits, '-', '_' and '.', at most 253 bytes",
                                   printable(f.sni->substr(0, 80))));
  }
  if (f.ca && !readable_file("--tls-ca", *f.ca, exit)) return false;
  auto ctx = tls_context::client({.ca_file = f.ca.value_or(""), .insecure = f.insecure, .alpn = alpn});
  if (!ctx) {
    if (f.ca) return usage(exit, fmt::format("--tls-ca '{}': {}", *f.ca, "no CA certificate in it (PEM expected)"));
    exit = fail("load the system's CA certificates", ctx.error());
    return false;
  }
  f.ctx = std::move(*ctx);
  return true;
}

std::string tls_why(std::error_code ec, const tls_session* session) {
  if (!is_tls_error(ec)) return describe("", ec);  // "Connection reset by peer (ECONNRESET)"
  std::string why = session ? session->describe(ec) : ec.message();
  if (ec.category() == tls_handshake_category()) why = why.substr(why.find(": ") + 2);  // "handshake failed: "
  return why;
}

std::error_code drive_tls_handshake(const socket& s, tls_session& ts, const deadline& by,
                                    const std::function<bool()>& stop) {
  if (auto ec = set_nonblocking(s, true)) return ec;
  buffer out;
  std::vector<std::byte> in(16 * 1024);
  std::error_code hs = make_error_code(errc::would_block);
  for (;;) {
    if (hs == errc::would_block) hs = ts.handshake();
    (void)ts.take_output(out);
    while (!out.empty()) {  // what the handshake says goes out, an alert included
      auto n = try_send(s, out.readable());
      if (!n) {
        if (n.error() == errc::would_block) break;
        if (hs && hs != errc::would_block) return hs;  // the peer left after our alert
        return n.error();
      }
      out.consume(*n);
    }
    if (hs && hs != errc::would_block) return hs;
    if (!hs && out.empty()) return {};
    wait_entry w[1];
    w[0].fd = s.native_handle();
    w[0].want = (hs ? wait_entry::readable : 0u) | (out.empty() ? 0u : wait_entry::writable);
    auto rc = wait_any(w, stop ? by.within(std::chrono::milliseconds(200)) : by);
    if (!rc) return rc.error();
    if (*rc == 0) {
      if (by.expired()) return std::make_error_code(std::errc::timed_out);
      if (stop && stop()) return std::make_error_code(std::errc::operation_canceled);
      continue;
    }
    if (hs && (w[0].ready & (wait_entry::readable | wait_entry::error | wait_entry::hangup))) {
      auto n = try_recv(s, in);
      if (!n && n.error() == errc::end_of_stream) return ts.transport_closed();
      if (!n && n.error() != errc::would_block) return n.error();
      if (n) (void)ts.feed(std::span(in).first(*n));
    }
  }
}

std::optional<tls_session> tls_handshake(const socket& s, const tls_flags& f, bool server, const std::string& host,
                                         const std::string& peer_name, double wait_s, int& exit,
                                         const std::function<bool()>& stop) {
  auto made = server ? tls_session::server(*f.ctx) : tls_session::client(*f.ctx, f.sni.value_or(host));
  if (!made) {
    exit = fail("TLS setup for " + peer_name, made.error());
    return std::nullopt;
  }
  tls_session ts = std::move(*made);
  // No deadline unless -w: a server that never answers waits as long as a plain connect would;
  // Ctrl+C ends the wait (the stop handlers exit at once outside a relay).
  auto ec = drive_tls_handshake(s, ts, wait_s > 0 ? deadline::after_seconds(wait_s) : deadline::never(), stop);
  if (ec == std::errc::operation_canceled) {  // `stop` said so: the caller reports it
    exit = exit_failure;
    return std::nullopt;
  }
  if (ec == std::errc::timed_out && wait_s > 0) {
    exit = fail_message(fmt::format("TLS handshake with {}: no answer within {} s ({})", peer_name, wait_s,
                                    server ? "--tls-handshake-timeout or --recv-timeout" : "-w"));
    return std::nullopt;
  }
  if (ec) {
    if (is_tls_error(ec)) {
      exit = fail_message(fmt::format("TLS handshake with {} failed: {}", peer_name, tls_why(ec, &ts)));
    } else {
      exit = fail("TLS handshake with " + peer_name, ec);
    }
    return std::nullopt;
  }
  std::string alpn = ts.alpn(), subject = ts.peer_subject();
  spdlog::info("TLS with {}: {} {}, ALPN {}, peer certificate {}{}", peer_name, ts.version(), ts.cipher(),
               alpn.empty() ? "none" : alpn, subject.empty() ? "none" : subject,
               !server && f.insecure ? " (not verified: --tls-insecure)" : "");
  return ts;
}

}  // namespace sockit::cli
