// Argument parsing for the server subcommands.
#include "server_args.hpp"

#include <string>

#include "../cli.hpp"
#include "sockit/error.hpp"

namespace sockit::cli {

bool parse_bind_address(std::string_view text, endpoint& out, int& exit, std::string_view what) {
  std::string host(text);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) {
    exit = usage_error("bad " + std::string(what), text, make_error_code(errc::bad_host));
    return false;
  }
  if (auto e = endpoint::numeric(host, 0)) {
    out = *e;
    return true;
  }
  // Not a numeric address: let the host:port parser judge the syntax of a name.
  bool numeric_looking = !host.empty() && host.find_first_not_of("0123456789.") == std::string::npos;
  bool has_colon = host.find(':') != std::string::npos;
  auto hp = parse_host_port(host + ":0");
  if (host.empty() || numeric_looking || has_colon || !hp || hp->host != host) {
    exit = usage_error("bad " + std::string(what), text,
                       hp ? make_error_code(errc::bad_host) : hp.error());
    return false;
  }
  resolve_options ro;
  ro.passive = true;
  auto r = resolve(host, 0, ro);
  if (!r) {
    exit = fail("resolve " + host, r.error());
    return false;
  }
  if (r->empty()) {
    exit = fail("resolve " + host, make_error_code(errc::no_addresses));
    return false;
  }
  out = r->front();
  return true;
}

bool parse_port_option(std::string_view flag, std::string_view text, std::uint16_t& out, int& exit) {
  auto p = parse_port(text);
  if (!p) {
    exit = usage_error("bad " + std::string(flag), text, p.error());
    return false;
  }
  out = *p;
  return true;
}

}  // namespace sockit::cli
