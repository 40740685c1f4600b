// listen's --allow/--deny/--max-conns/--broker (see listen_gate.hpp).
#include "listen_gate.hpp"

#include <fmt/core.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "args.hpp"
#include "cli.hpp"

namespace sockit::cli {

bool listen_gate::admit(const endpoint& peer, std::size_t live) const {
  if (!filter.permits(peer)) {
    spdlog::info("denied {}", peer.unmapped().to_string());
    return false;
  }
  if (max_conns > 0 && live >= max_conns) {
    spdlog::info("refused {}: {} connection{} already (--max-conns {})",
                 peer.empty() ? "a Unix client" : peer.unmapped().to_string(), live, live == 1 ? "" : "s", max_conns);
    return false;
  }
  return true;
}

void add_hub_flags(CLI::App& cmd, hub_flags& f) {
  const char* group = "Several clients (-k)";
  cmd.add_flag("--broker", f.broker,
               "Chat mode (ncat --broker, implies -k): each client's input goes to all the others; nothing to stdout")
      ->group(group);
  cmd.add_option("--allow", f.allow,
                 "Serve only these clients: ADDR or ADDR/PREFIX, v4 or v6, comma list, repeatable; others are closed")
      ->option_text("LIST")
      ->allow_extra_args(false)  // one list per flag: `--allow 127.0.0.1 9000` leaves PORT alone
      ->group(group);
  cmd.add_option("--deny", f.deny, "Close these clients at once (ADDR[/PREFIX], comma list, repeatable; beats --allow)")
      ->option_text("LIST")
      ->allow_extra_args(false)  // one list per flag: `--allow 127.0.0.1 9000` leaves PORT alone
      ->group(group);
  cmd.add_option("--max-conns", f.max_conns, "With -k: at most N clients at once; the next ones are closed at once")
      ->option_text("N")
      ->check(int_check(1, 1000000, "connections"))
      ->group(group);
}

bool make_listen_gate(const hub_flags& f, listen_gate& out, int& exit) {
  auto add = [&](const char* flag, const std::vector<std::string>& lists, bool allow) {
    for (const auto& list : lists) {
      auto ec = allow ? out.filter.allow(list) : out.filter.deny(list);
      if (!ec) continue;
      auto item = address_filter::first_bad(list);
      const char* why = item.starts_with("::ffff:") && item.find('.') != std::string::npos
                            ? "an IPv4-mapped prefix is read as IPv4, so it needs /96 or longer"
                            : "expected ADDR or ADDR/PREFIX, IPv4 or IPv6 (names are not resolved)";
      exit = fail_message(fmt::format("{}: bad item '{}' in '{}': {}", flag, item, list, why), exit_usage);
      return false;
    }
    return true;
  };
  if (!add("--allow", f.allow, true) || !add("--deny", f.deny, false)) return false;
  out.max_conns = f.max_conns ? static_cast<std::size_t>(*f.max_conns) : 0;
  return true;
}

}  // namespace sockit::cli
