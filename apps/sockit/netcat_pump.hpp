// The relay shared by `sockit connect` and `sockit listen`: stdin to a socket, the socket to stdout,
// on one poll(2) loop. Private to the CLI.
#pragma once

#include <string>
#include <string_view>

#include "hexdump.hpp"
#include "sockit/endpoint.hpp"
#include "sockit/socket.hpp"
#include "sockit/tls_session.hpp"

namespace sockit::cli {

struct pump_options {
  bool udp = false;
  // UDP only: stop at stdin EOF instead of waiting for more replies (-N).
  bool udp_exit_on_stdin_eof = false;
  // Idle timeout (nc -w): give up when neither side moved for this long; <= 0 means none.
  double idle_seconds = -1;
  // --recv-timeout: fail when the peer has sent nothing for this long (until its EOF);
  // --send-timeout: fail when what stdin gave has waited this long without a byte taken. <= 0: none.
  double recv_timeout = -1;
  double send_timeout = -1;
  // -q: quit this long after stdin's EOF (once its bytes are sent) even if the peer has not closed;
  // < 0: wait for the peer.
  double quit_after_eof = -1;
  // -i: send stdin a line at a time, this long apart; <= 0: as it comes.
  double line_interval = -1;
  // -C: send each LF that stdin gives without a CR before it as CRLF.
  bool crlf = false;
  // --send-only: stdin to the peer, what it sends is read and dropped, stop at stdin's EOF.
  // --recv-only: the peer to stdout, stdin is never read and nothing is sent (no half-close).
  bool send_only = false;
  bool recv_only = false;
  // How the peer is named in error lines ("127.0.0.1:8080").
  std::string peer_name;
  // --tls: the session whose handshake has finished on this (TCP or Unix stream) socket; stdin is
  // encrypted through it, what arrives decrypted. Stdin's EOF sends close_notify, then FIN (TLS's
  // half-close); the peer's close_notify is its EOF; a session that ends otherwise sends ours.
  tls_session* tls = nullptr;
};

// One relay session. The stdin state outlives a session, so `listen -k` does not read an
// exhausted stdin again for the next peer.
class netcat_pump {
 public:
  explicit netcat_pump(traffic_dumper& dump) : dump_(dump) {}

  // TCP, or connected UDP: relays until the peer is done (TCP: it closed its side; we half-close
  // ours at stdin EOF), the idle timeout passes, or an error. Returns an exit code; errors have
  // been printed. The socket is switched to non-blocking mode.
  int run(const socket& s, const pump_options& opts);

  // Unconnected UDP (listen -u -k): datagrams from anyone are printed, stdin goes to the most
  // recent sender, which starts as `peer` (on `s`). `also`, if given, is a second socket read the
  // same way (listen's ::1 beside 127.0.0.1); replies leave by the socket the sender reached.
  int run_udp_any(const socket& s, endpoint peer, const pump_options& opts, const socket* also = nullptr);

  bool stdin_eof() const noexcept { return stdin_eof_; }

 private:
  int relay(const socket& s, const pump_options& opts, endpoint* reply_to, const socket* also = nullptr);

  traffic_dumper& dump_;
  bool stdin_eof_ = false;
  bool last_was_cr_ = false;  // -C: the last byte of the previous stdin read
};

}  // namespace sockit::cli
