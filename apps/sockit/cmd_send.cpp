// sockit send FILE... HOST:PORT: files to a `sockit recv`, each as a small header (name, size,
// mode) corked together with the start of its body, the body by sendfile(2), then its XXH3-128
// (hashed meanwhile on a second thread); exits 0 only once the receiver has acknowledged every
// file as stored, checked and synced. --raw sends the bytes alone (to nc -l). Protocol: sockit/transfer_wire.hpp, docs/commands/send.md.
#include <algorithm>
#include <array>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "args.hpp"
#include "background_hash.hpp"
#include "socket_flags.hpp"
#include "commands.hpp"
#include "json.hpp"
#include "source_file.hpp"
#include "stop_signals.hpp"
#include "transfer_channel.hpp"
#include "transfer_progress.hpp"
#include "transfer_summary.hpp"
#include "sockit/error.hpp"
#include "sockit/file_hash.hpp"
#include "sockit/io.hpp"
#include "sockit/options.hpp"
#include "sockit/sendfile.hpp"
#include "sockit/tcp.hpp"
#include "sockit/transfer_name.hpp"
#include "sockit/unix.hpp"
#include "sockit/wait.hpp"

namespace sockit::cli {
namespace {

struct send_args {
  socket_flags sock;
  std::vector<std::string> words;  // FILE... HOST:PORT
  bool resume = false;
  bool raw = false;
  double wait = 30;
};

// A file to send, open from the start so a missing one fails before anything is sent.
struct source {
  std::string path;  // as messages show it: one line, control characters escaped
  std::string name;  // what the receiver is asked to call it
  int fd = -1;
  std::uint64_t size = 0;
  std::uint32_t mode = 0;
  source() = default;
  source(source&& o) noexcept : path(std::move(o.path)), name(std::move(o.name)), fd(std::exchange(o.fd, -1)),
                                size(o.size), mode(o.mode) {}
  source& operator=(source&&) = delete;
  ~source() {
    if (fd >= 0) close_source(fd);
  }
};

int open_sources(const std::vector<std::string>& paths, bool raw, std::vector<source>& out) {
  std::set<std::string> names;
  for (const auto& path : paths) {
    source s;
    s.path = one_line(path);
    s.name = source_base_name(path);
    auto fd = open_source(path);
    if (!fd) return fail("open " + s.path, fd.error());
    s.fd = *fd;
    auto st = stat_source(s.fd);
    if (!st) return fail("stat " + s.path, st.error());
    if (!st->regular) return fail_message("cannot send '" + s.path + "': not a regular file");
    if (st->size_unknown) {
      return fail_message("cannot send '" + s.path + "': its size says 0 but it has content (a /proc or /sys file?): " +
                          "copy it to a regular file first");
    }
    s.size = st->size;
    s.mode = st->mode;
    if (!raw) {
      if (auto why = transfer_name_problem(s.name); !why.empty()) {
        return fail_message("cannot send '" + s.path + "': its name " + std::string(why));
      }
      if (!names.insert(s.name).second) return fail_message("two files named '" + one_line(s.name) + "' in one transfer");
    }
    out.push_back(std::move(s));
  }
  return exit_ok;
}

class sender {
 public:
  sender(const socket& s, const send_args& a, const std::string& peer)
      : ch_(s, a.wait), a_(a), peer_(peer), progress_(transfer_progress::stderr_is_terminal()) {
    ch_.on_tick([this] { progress_.update(done_); });
  }

  int run(std::vector<source>& files, transfer_totals& totals) {
    for (auto& f : files) {
      file_outcome out;
      if (int code = a_.raw ? send_raw(f) : send_one(f, out); code != exit_ok) return code;
      out.name = f.name;
      out.size = f.size;
      if (a_.raw) out.hash = raw_hash(f);
      totals.files.push_back(out);
    }
    if (a_.raw) return finish_raw();
    if (auto ec = ch_.send(wire::end{files.size()})) return link_failure("send end of transfer", ec);
    return exit_ok;
  }

 private:
  // The connection failed: say why, preferring the receiver's own error message if one came.
  int link_failure(const std::string& what, std::error_code ec) {
    progress_.finish();
    if (ec == std::errc::operation_canceled) return fail_message("interrupted: " + what + " did not finish");
    if (ec == std::errc::timed_out) {
      return fail_message(fmt::format("{}: the receiver {} took nothing for {} s", what, peer_, a_.wait));
    }
    if (!a_.raw) {
      auto m = ch_.receive_pending();
      if (m) {
        if (auto* e = std::get_if<wire::error_message>(&*m)) return fail_message(peer_error_line("receiver", *e));
      }
    }
    return fail(what, ec);
  }

  int unexpected(const std::string& what, const result<wire::message>& m) {
    progress_.finish();
    if (!m) {
      if (m.error() == errc::end_of_stream || m.error() == std::errc::connection_aborted) {
        return fail_message(what + ": the receiver closed the connection");
      }
      return link_failure(what, m.error());
    }
    if (auto* e = std::get_if<wire::error_message>(&*m)) return fail_message(peer_error_line("receiver", *e));
    return fail_message(what + ": the receiver answered out of turn (protocol error)");
  }

  // The file's hash could not be had: the transfer stops there (the receiver sees a close where
  // the trailer belongs, and keeps nothing).
  int hash_failure(source& f, std::error_code ec) {
    progress_.finish();
    if (ec == std::errc::operation_canceled) return link_failure("sending " + f.path, ec);
    if (ec == errc::end_of_stream) {
      return fail_message(fmt::format("{} shrank while being sent ({} bytes when it began)", f.path, f.size));
    }
    return fail("read " + f.path, ec);
  }

  // Sends [offset, size) of f with sendfile; a message from the receiver meanwhile (an error), or
  // the hash thread failing, stops it.
  int send_body(source& f, std::uint64_t offset, background_hash* hashing = nullptr) {
    done_ = offset;
    while (done_ < f.size) {
      if (hashing && hashing->failed()) return hash_failure(f, hashing->get().error());
      auto n = try_sendfile(ch_.sock(), f.fd, done_, static_cast<std::size_t>(std::min<std::uint64_t>(f.size - done_, 16u << 20)));
      if (n) {
        progress_.update(done_);
        if (stop_requested()) return link_failure("sending " + f.path, std::make_error_code(std::errc::operation_canceled));
        continue;
      }
      if (n.error() == errc::end_of_stream) {
        progress_.finish();
        return fail_message(fmt::format("{} shrank while being sent ({} of {} bytes)", f.path, done_, f.size));
      }
      if (n.error() != errc::would_block) return link_failure("send " + f.path, n.error());
      auto w = ch_.wait(a_.raw ? wait_entry::writable : wait_entry::writable | wait_entry::readable);
      if (!w) return link_failure("send " + f.path, w.error());
      if (!a_.raw && (*w & wait_entry::readable)) return unexpected("send " + f.path, ch_.receive());
    }
    return exit_ok;
  }

  int send_one(source& f, file_outcome& out) {
    // Without --resume the hash follows the body (flag_hash_after), computed on a second thread
    // while sendfile runs: the body starts at once rather than after a pass over the whole file.
    // A resume needs the whole file's hash before the offer is judged, so it hashes first.
    std::optional<background_hash> hashing;
    wire::file_header hdr;
    if (a_.resume) {
      xxh3_128 h;
      if (auto ec = hash_file_range(f.fd, 0, f.size, h)) return fail("read " + f.path, ec);
      out.hash = h.digest();
      hdr.flags = wire::flag_resume;
      hdr.hash = out.hash;
    } else {
      hashing.emplace(f.fd, f.size);
      if (hashing->failed()) return hash_failure(f, hashing->get().error());  // hashed already: small
      hdr.flags = wire::flag_hash_after;
    }
    hdr.mode = f.mode;
    hdr.size = f.size;
    hdr.name = f.name;
    // Corked: the header leaves in the same segment as the start of the body.
    (void)set_tcp_cork(ch_.sock(), true);
    if (auto ec = ch_.send(hdr)) return link_failure("send header of " + f.path, ec);
    std::uint64_t offset = 0;
    if (a_.resume) {
      (void)set_tcp_cork(ch_.sock(), false);  // the header must leave now: we wait for the answer
      auto m = ch_.receive();
      auto* o = m ? std::get_if<wire::offer>(&*m) : nullptr;
      if (!o) return unexpected("resume " + f.path, m);
      if (o->have > 0 && o->have <= f.size) {
        xxh3_128 prefix;
        if (auto ec = hash_file_range(f.fd, 0, o->have, prefix)) return fail("read " + f.path, ec);
        if (prefix.digest() == o->hash) offset = o->have;
      }
      if (offset > 0) spdlog::info("{}: the receiver holds {} bytes of it, resuming there", f.path, offset);
      else if (o->have > 0) spdlog::info("{}: the receiver's {} bytes differ from ours, sending it all", f.path, o->have);
      (void)set_tcp_cork(ch_.sock(), true);
      if (auto ec = ch_.send(wire::start{offset})) return link_failure("send " + f.path, ec);
    }
    out.resumed_from = offset;
    progress_.begin(one_line(f.name), f.size, offset);
    if (int code = send_body(f, offset, hashing ? &*hashing : nullptr); code != exit_ok) return code;
    if (hashing) {
      auto h = hashing->get();
      if (!h) return hash_failure(f, h.error());
      out.hash = *h;
      // Where there is no cork (Windows), Nagle would hold this small message back until the
      // body's last segment is acknowledged.
      if (set_tcp_cork(ch_.sock(), true)) (void)set_tcp_nodelay(ch_.sock(), true);
      if (auto ec = ch_.send(wire::trailer{out.hash})) return link_failure("send " + f.path, ec);
    }
    (void)set_tcp_cork(ch_.sock(), false);  // the body's last partial segment goes now
    auto m = ch_.receive();
    if (!m && m.error() == std::errc::timed_out) {
      // All of it may sit in the kernel's buffers of a receiver busy elsewhere (recv -k serves one
      // sender at a time): "took nothing" would not be true, and it may yet store the file.
      progress_.finish();
      return fail_message(fmt::format("{}: sent, but {} did not acknowledge it within {} s (not confirmed stored)",
                                      f.path, peer_, a_.wait));
    }
    auto* ack = m ? std::get_if<wire::ack>(&*m) : nullptr;
    if (!ack) return unexpected("send " + f.path, m);
    progress_.finish();
    if (ack->size != f.size || ack->hash != out.hash) {
      return fail_message("receiver acknowledged " + f.path + " with another size or hash (protocol error)");
    }
    spdlog::info("{}: stored by {} ({} bytes, xxh3-128 {})", f.path, peer_, f.size, out.hash.hex());
    return exit_ok;
  }

  int send_raw(source& f) {
    progress_.begin(one_line(f.name), f.size, 0);
    if (int code = send_body(f, 0); code != exit_ok) return code;
    progress_.finish();
    return exit_ok;
  }

  hash128 raw_hash(source& f) {
    xxh3_128 h;
    (void)hash_file_range(f.fd, 0, f.size, h);
    return h.digest();
  }

  // nc -N's end: our FIN, then the peer's close tells us it has everything.
  int finish_raw() {
    if (auto ec = ch_.sock().shutdown(shutdown_how::write)) return fail("shutdown", ec);
    std::array<std::byte, 16 * 1024> sink;
    for (;;) {
      auto r = try_recv(ch_.sock(), sink);
      if (r) continue;
      if (r.error() == errc::end_of_stream) return exit_ok;
      if (r.error() != errc::would_block) return fail("receive from " + peer_, r.error());
      auto w = ch_.wait(wait_entry::readable);
      if (!w && w.error() == std::errc::timed_out) {
        progress_.finish();
        return fail_message(fmt::format("all sent, but {} did not close within {} s (nc -l closes at our end)", peer_, a_.wait));
      }
      if (!w) return link_failure("wait for " + peer_ + " to close", w.error());
    }
  }

  transfer_channel ch_;
  const send_args& a_;
  std::string peer_;
  transfer_progress progress_;
  std::uint64_t done_ = 0;
};

int run_send(const send_args& a, const context& ctx) {
  install_stop_handlers();
  defer_stop(true);  // Ctrl+C is looked at between sends: the receiver then drops the partial file
  if (a.words.size() < 2) {
    return fail_message("need FILE... and HOST:PORT (usage: sockit send FILE... HOST:PORT)", exit_usage);
  }
  std::vector<std::string> paths(a.words.begin(), a.words.end() - 1);
  const std::string& target = a.words.back();
  if (is_unix_address_text(target)) {
    return fail_message("bad destination '" + target + "': send takes no unix: address (HOST:PORT)", exit_usage);
  }
  auto hp = parse_host_port(target, transport::tcp);
  if (!hp) return address_usage_error("bad destination", target, hp.error());
  if (std::error_code no; target.find(':') == std::string::npos && std::filesystem::exists(target, no)) {
    // "sockit send notes echo": a forgotten destination must not send the files to port 7.
    return fail_message("bad destination '" + target + "': a file of that name is here too; write :" + target +
                            " for the port, or give HOST:PORT",
                        exit_usage);
  }
  int code = exit_ok;
  std::string host = hp->host.empty() ? "127.0.0.1" : hp->host;  // ":PORT" or "PORT": this machine
  if (!check_host_arg(host, code)) return code;
  socket_flags flags = a.sock;
  if (!check_socket_flags(flags, true, code)) return code;
  if (hp->port == 0) return refuse_port_zero();
  if (a.raw && a.resume) return fail_message("--resume needs the sockit protocol, not --raw", exit_usage);

  std::vector<source> files;
  if (int oc = open_sources(paths, a.raw, files); oc != exit_ok) return oc;

  resolve_options ro;
  ro.family = source_family(flags);
  auto eps = resolve(host, hp->port, ro);
  if (!eps) {
    if (code_for(eps.error()) == exit_usage) return usage_error("bad host", host, eps.error());
    return fail(lookup_what("resolve", host, flags), eps.error());
  }
  endpoint peer;
  std::vector<applied_option> applied;
  std::string failed;
  socket_prepare prepare;
  if (!no_socket_flags(flags)) prepare = socket_preparer(flags, true, applied, failed);
  // The signal handlers only raise a flag while a send runs: the connect asks it, so Ctrl+C ends
  // a connect that hangs (a receiver whose accept queue is full) at once rather than after -w.
  connect_options co;
  co.by = deadline::after_seconds(a.wait);
  co.nonblocking = true;
  co.connected_to = &peer;
  co.prepare = prepare;
  co.stop = [] { return stop_requested(); };
  auto s = tcp_connect(*eps, co);
  if (!s && s.error() == std::errc::operation_canceled) return fail_message("interrupted: connect " + target + " did not finish");
  if (!s) return prepare_failure("connect " + target, failed, s.error());
  log_applied(applied);
  spdlog::info("connected to {}", peer.to_string());

  transfer_totals totals;
  totals.role = "send";
  totals.peer = peer.to_string();
  totals.raw = a.raw;
  totals.socket_options = applied_json(applied);
  auto started = clock::now();
  sender snd(*s, a, totals.peer);
  code = snd.run(files, totals);
  totals.seconds = std::chrono::duration<double>(clock::now() - started).count();
  if (code == exit_ok && ctx.json) print_out("{}\n", summary_json(totals));
  return code;
}

struct send_usage : CLI::Formatter {
  std::string make_usage(const CLI::App*, std::string name) const override {
    return "Usage: " + name + " [OPTIONS] FILE... HOST:PORT\n";
  }
};

}  // namespace

void setup_send(CLI::App& cmd, context& ctx) {
  auto a = std::make_shared<send_args>();
  cmd.add_option("FILES", a->words, "Files to send, then HOST:PORT where the receiver listens");
  cmd.formatter(std::make_shared<send_usage>());
  cmd.add_flag("--resume", a->resume,
               "Ask the receiver (recv --resume) what it already holds of each file and send only the rest, if "
               "its XXH3-128 matches ours");
  cmd.add_flag("--raw", a->raw, "Send the files' bytes only, no header, hash or acknowledgement (to nc -l)");
  cmd.add_option("-w,--wait", a->wait,
                 "Seconds to wait for the connection, and for a receiver that takes nothing, before giving up "
                 "(default 30)")
      ->check(seconds_check(false));
  add_socket_flags(cmd, a->sock, {.tcp = true, .server = false, .client = true});
  cmd.footer(
      "Examples:\n"
      "  sockit recv 9000 -o incoming/ &             # on the receiving side (loopback unless ADDR:PORT)\n"
      "  sockit send big.iso notes.txt localhost:9000\n"
      "  sockit send --resume big.iso localhost:9000 # continue where an interrupted transfer stopped\n"
      "  sockit --json send big.iso 127.0.0.1:9000   # one JSON summary: files, bytes, seconds, MB/s, hashes\n"
      "  nc -l 127.0.0.1 9000 > copy.bin & sockit send --raw big.iso 127.0.0.1:9000\n"
      "Each file is stored under its base name (no directories). Exit status: 0 every file stored, checked and\n"
      "synced by the receiver; 1 any failure (the receiver's reason is printed); 2 usage error; 130 a second Ctrl+C.");
  cmd.callback([a, &ctx] { ctx.run = [a, &ctx] { return run_send(*a, ctx); }; });
}

}  // namespace sockit::cli
