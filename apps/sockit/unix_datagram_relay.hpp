// listen --unix-dgram: the netcat relay over a Unix datagram socket. Private to the CLI.
#pragma once

#include "netcat_pump.hpp"
#include "sockit/unix.hpp"

namespace sockit::cli {

// listen --unix-dgram: prints datagrams; stdin goes back to the sender. Without keep_open the
// first sender with an address becomes the only peer (the socket is connected to it, as UDP
// listen does); a sender that never bound cannot be answered, so then datagrams are only printed.
// With keep_open datagrams from anyone are printed and stdin goes to the latest sender that has
// an address. `po` carries the netcat flags. Returns an exit code.
int run_unix_datagrams(const socket& s, const unix_address& at, bool keep_open, pump_options po,
                       traffic_dumper& dump);

}  // namespace sockit::cli
