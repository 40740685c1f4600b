// --proxy, --proxy-type, --proxy-auth: checks, and the error line for each way a proxy refuses.
#include "proxy_flags.hpp"

#include <fmt/core.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "args.hpp"
#include "cli.hpp"
#include "sockit/deadline.hpp"
#include "sockit/error.hpp"

namespace sockit::cli {
namespace {

int proxy_usage(std::string_view what, std::string_view text, std::string_view why) {
  return fail_message(std::string(what) + " '" + std::string(text) + "': " + std::string(why), exit_usage);
}

// "HOST:PORT", "[v6]:PORT", or a host alone with the type's usual port (ncat's defaults).
result<host_port> parse_proxy_address(std::string_view text, std::uint16_t default_port) {
  if (!text.empty() && text.find(':') == std::string_view::npos) return host_port{std::string(text), default_port};
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
    return host_port{std::string(text.substr(1, text.size() - 2)), default_port};
  }
  return parse_host_port(text, transport::tcp);
}

std::string bracketed(const std::string& host, std::uint16_t port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

void add_proxy_flags(CLI::App& cmd, proxy_flags& f) {
  const char* group = "Proxy";
  cmd.add_option("--proxy", f.address,
                 "Connect through the proxy at HOST:PORT ([v6]:PORT; port defaults to 3128 for http, 1080 for "
                 "socks5); the proxy resolves a target name; the handshake waits up to -w, else 10 s")
      ->option_text("HOST:PORT")
      ->group(group);
  cmd.add_option("--proxy-type", f.type, "http (HTTP CONNECT, the default, as ncat) or socks5")
      ->option_text("TYPE")
      ->group(group);
  cmd.add_option("--proxy-auth", f.auth,
                 "Credentials for the proxy: HTTP Basic or SOCKS5 username/password (RFC 1929), each at most "
                 "255 bytes")
      ->option_text("USER:PASS")
      ->group(group);
}

bool check_proxy_flags(proxy_flags& f, bool udp, const std::string& host, std::uint16_t port, int& exit) {
  f.on = f.address.has_value();
  if (!f.on) {
    if (f.type || f.auth) {
      exit = fail_message(std::string(f.type ? "--proxy-type" : "--proxy-auth") + " needs --proxy HOST:PORT",
                          exit_usage);
      return false;
    }
    return true;
  }
  if (udp) {
    exit = fail_message("--proxy tunnels TCP only: it cannot be used with -u", exit_usage);
    return false;
  }
  auto& r = f.request;
  const std::string type = f.type.value_or("http");
  if (type == "http") {
    r.type = proxy_type::http;
  } else if (type == "socks5") {
    r.type = proxy_type::socks5;
  } else {
    exit = proxy_usage("bad --proxy-type", type, "expected http or socks5");
    return false;
  }
  const std::string& address = *f.address;
  auto at = parse_proxy_address(address, r.type == proxy_type::http ? 3128 : 1080);
  if (!at) {
    exit = address_usage_error("bad --proxy address", address, at.error());
    return false;
  }
  if (at->host.empty()) {
    exit = proxy_usage("bad --proxy address", address, "a proxy host is needed (HOST:PORT)");
    return false;
  }
  if (at->port == 0) {
    exit = proxy_usage("bad --proxy address", address, "cannot connect to port 0");
    return false;
  }
  // Text made of digits and dots, or with ':', must be a strict address (as for the target).
  if (auto e = endpoint::numeric(at->host, 0); !e && e.error() == make_error_code(errc::bad_host)) {
    exit = proxy_usage("bad --proxy address", address, "expected a host name, an IPv4 address or [an IPv6 address]");
    return false;
  }
  f.at = std::move(*at);

  if (f.auth) {
    const std::string& auth = *f.auth;
    auto colon = auth.find(':');
    r.auth.user = auth.substr(0, colon);
    r.auth.password = colon == std::string::npos ? std::string() : auth.substr(colon + 1);
    if (r.auth.user.empty()) {
      exit = fail_message("bad --proxy-auth: a user is needed (USER:PASS)", exit_usage);
      return false;
    }
    if (r.auth.user.size() > 255 || r.auth.password.size() > 255) {
      exit = fail_message("bad --proxy-auth: user and password must be at most 255 bytes each", exit_usage);
      return false;
    }
  }
  r.host = host;
  r.port = port;
  f.target = bracketed(host, port);
  // What start() refuses (a name over 255 bytes, characters no request can carry) is the user's.
  if (auto h = proxy_handshake::start(r); !h) {
    exit = proxy_usage("bad target for --proxy", host, h.error().message());
    return false;
  }
  return true;
}

int open_proxy_tunnel(const socket& s, const endpoint& proxy, const proxy_flags& f, double wait_s) {
  const double limit = wait_s >= 0 ? wait_s : default_proxy_handshake_seconds;
  proxy_reply reply;
  auto ec = proxy_connect(s, f.request, deadline::after_seconds(limit), &reply);
  const auto type = proxy_type_name(f.request.type);
  if (!ec) {
    spdlog::info("connected to proxy {} ({}); tunnel to {} open", proxy.to_string(), type, f.target);
    if (!reply.bound.empty()) spdlog::debug("the proxy connects from {}", reply.bound.to_string());
    return exit_ok;
  }
  const std::string who = "proxy " + proxy.to_string() + " (" + std::string(type) + ")";
  const bool no_auth = f.request.auth.user.empty();
  if (ec == proxy_errc::http_refused) {
    // "HTTP/1.1 403 Forbidden" -> "403 Forbidden"
    std::string status = reply.http_status_line;
    if (auto sp = status.find(' '); sp != std::string::npos) status.erase(0, sp + 1);
    if (reply.http_status == 407 && no_auth) status += " (try --proxy-auth USER:PASS)";
    if (reply.http_status == 407 && !no_auth) status += " (credentials rejected)";
    return fail_message("proxy " + proxy.to_string() + " refused CONNECT " + f.target + ": " + status);
  }
  std::string what = who + " tunnel to " + f.target;
  if (ec == std::errc::timed_out) {
    return fail_message(what + fmt::format(": no answer to the handshake within {:g} s", limit) +
                        (wait_s >= 0 ? " (-w)" : ""));
  }
  std::string line = describe(what, ec);
  if (ec == proxy_errc::unknown_reply) line += " " + std::to_string(reply.socks_reply);
  if (ec == proxy_errc::no_acceptable_method && no_auth) line += "; try --proxy-auth USER:PASS";
  if (ec == proxy_errc::bad_reply) {
    line += f.request.type == proxy_type::http ? " (is it an HTTP proxy?)" : " (is it a SOCKS5 proxy?)";
  }
  return fail_message(line);
}

}  // namespace sockit::cli
