// Who may connect to `sockit listen` (--allow/--deny/--max-conns, as ncat) and the multi-client
// flag --broker: parsed here, applied to every accepted connection (one peer, -k, --exec). Private
// to the CLI.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "cli_fwd.hpp"

#include "sockit/address_filter.hpp"
#include "sockit/endpoint.hpp"

namespace sockit::cli {

struct listen_gate {
  address_filter filter;
  std::size_t max_conns = 0;  // 0: no limit

  // True when `peer` may be served while `live` connections are; otherwise logs why (-v: "denied
  // 127.0.0.2:5555", or the --max-conns line) and returns false: the caller closes it at once.
  bool admit(const endpoint& peer, std::size_t live) const;
};

struct hub_flags {
  bool broker = false;
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  std::optional<long long> max_conns;
  bool any_gate() const { return !allow.empty() || !deny.empty() || max_conns.has_value(); }
};

void add_hub_flags(CLI::App& cmd, hub_flags& f);

// Builds the gate; a bad --allow/--deny item is one usage line (exit set, false).
bool make_listen_gate(const hub_flags& f, listen_gate& out, int& exit);

}  // namespace sockit::cli
