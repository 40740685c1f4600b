// Unix domain sockets in the CLI (see unix_flags.hpp).
#include "unix_flags.hpp"

#include <string>
#include <vector>

#include <fmt/core.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "cli.hpp"
#include "output.hpp"
#include "stop_signals.hpp"
#include "sockit/error.hpp"
#include "sockit/io.hpp"
#include "sockit/wait.hpp"

namespace sockit::cli {
namespace {

bool parse_mode(std::string_view text, unsigned& out) {
  if (text.empty() || text.size() > 4) return false;
  unsigned v = 0;
  for (char c : text) {
    if (c < '0' || c > '7') return false;
    v = v * 8 + static_cast<unsigned>(c - '0');
  }
  if (v > 0777) return false;
  out = v;
  return true;
}

}  // namespace

void add_unix_flags(CLI::App& cmd, unix_flags& f, bool server) {
  const char* group = "Unix sockets";
  cmd.add_flag("--unix-dgram", f.dgram, "With a unix: address: a datagram socket (SOCK_DGRAM) instead of a stream")
      ->group(group);
  if (server) {
    cmd.add_option("--mode", f.mode,
                   "With unix:/path: the socket file's permissions, in octal (e.g. 660); never wider meanwhile")
        ->option_text("OCTAL")
        ->group(group);
  }
}

const char* non_unix_socket_flag(const socket_flags& s) {
  if (s.nodelay) return "--nodelay";
  if (s.keepalive) return "--keepalive";
  if (s.mss) return "--mss";
  if (s.linger) return "--linger";
  if (s.ttl) return "--ttl";
  if (s.tos) return "--tos";
  if (s.reuseport) return "--reuseport";
  if (!s.bind_dev.empty()) return "--bind-dev";
  if (!s.source.empty()) return "-s/--source";
  if (!s.source_port.empty()) return "-p/--source-port";
  return nullptr;
}

bool check_unix_args(std::string_view text, unix_flags& f, const socket_flags& sock, unix_address& at, int& exit) {
  if (text.empty()) {
    const char* flag = f.dgram ? "--unix-dgram" : !f.mode.empty() ? "--mode" : nullptr;
    if (flag) {
      exit = fail_message(fmt::format("{} needs a unix: address (unix:/path or unix:@name)", flag), exit_usage);
      return false;
    }
    return true;
  }
#ifdef _WIN32
  // The library's Unix socket calls all say not_supported here (src/unix_windows.cpp): refuse the
  // address up front, as a usage error, rather than after binding the rest.
  exit = fail_message(fmt::format("{}: Unix sockets are not available on Windows", text), exit_usage);
  return false;
#endif
  auto a = unix_address::parse(text);
  if (!a) {
    std::string why = a.error() == errc::unix_path_too_long
                          ? fmt::format("{} bytes, a Unix socket address holds at most {}",
                                        text.size() - 5 - (text.substr(5, 1) == "@" ? 1 : 0), unix_address::max_path)
                          : a.error().message();
    exit = fail_message(fmt::format("bad unix address '{}': {}", text, why), exit_usage);
    return false;
  }
  at = *a;
  if (const char* flag = non_unix_socket_flag(sock)) {
    exit = fail_message(fmt::format("{} has no meaning on a Unix socket ({})", flag, text), exit_usage);
    return false;
  }
  if (!f.mode.empty()) {
    unsigned bits = 0;
    if (!parse_mode(f.mode, bits)) {
      exit = fail_message(fmt::format("bad --mode '{}': an octal mode from 0 to 777 (e.g. 600, 660)", f.mode),
                          exit_usage);
      return false;
    }
    if (!at.is_path()) {
      exit = fail_message(fmt::format("--mode has no meaning for {}: an abstract name has no file", text), exit_usage);
      return false;
    }
    f.mode_bits = bits;
  }
  return true;
}

int listen_unix(const unix_address& at, const unix_flags& f, const socket_flags& sock, unix_socket_file& file,
                std::vector<bound_socket>& out, std::string_view service) {
  std::vector<applied_option> applied;
  std::string failed;
  unix_listen_options lo;
  lo.mode = f.mode_bits;
  if (!no_socket_flags(sock)) lo.prepare = socket_preparer(sock, false, applied, failed);
  auto s = f.dgram ? unix_bind_datagram(at, lo, &file) : unix_listen(at, lo, &file);
  if (!s) {
    if (s.error() == std::errc::permission_denied) {
      return fail(at.to_string(), s.error());  // the directory, or a socket file we may not replace
    }
    return prepare_failure(at.to_string(), failed, s.error());
  }
  if (!file.empty()) remove_at_exit(file.path(), file.device(), file.inode());
  log_applied(applied);
  out.push_back({std::move(*s), endpoint()});
  notice(fmt::format("listening on {} (unix {}){}{}", at.to_string(), unix_kind(f), service.empty() ? "" : " ", service));
  if (f.mode_bits) spdlog::info("{}: mode {:o}", at.to_string(), *f.mode_bits);
  return exit_ok;
}

std::optional<socket> connect_unix(const unix_address& at, const unix_flags& f, const socket_flags& sock,
                                   double wait_s, int& exit) {
  std::vector<applied_option> applied;
  std::string failed;
  unix_connect_options co;
  co.type = f.dgram ? SOCK_DGRAM : SOCK_STREAM;
  co.by = wait_s < 0 ? deadline::never() : deadline::after_seconds(wait_s);
  if (!no_socket_flags(sock)) co.prepare = socket_preparer(sock, false, applied, failed);
  auto s = unix_connect(at, co);
  if (!s) {
    exit = prepare_failure("connect " + at.to_string(), failed, s.error());
    return std::nullopt;
  }
  if (f.dgram) {
    auto local = unix_local_address(*s);
    spdlog::info("connected to {} (unix dgram) from {}", at.to_string(),
                 local ? local->to_string() : std::string("an unknown address"));
  } else {
    spdlog::info("connected to {} (unix stream)", at.to_string());
    log_peer_credentials(*s);
  }
  log_applied(applied);
  return std::move(*s);
}

void log_peer_credentials(const socket& s) {
  auto local = unix_local_address(s);
  if (!local) return;  // not a Unix socket
  auto c = peer_credentials(s);
  if (!c) {
    spdlog::info("peer credentials: {}", describe("SO_PEERCRED", c.error()));
    return;
  }
  spdlog::info("peer pid {} uid {} gid {}", c->pid, c->uid, c->gid);
}

std::string accepted_peer_name(const socket& accepted, const endpoint& peer) {
  if (!peer.empty()) return peer.unmapped().to_string();  // a dual-stack listener's IPv4 client as IPv4
  if (auto local = unix_local_address(accepted)) return local->to_string();
  return peer.to_string();
}

}  // namespace sockit::cli
