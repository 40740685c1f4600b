// sockit recv [ADDR:]PORT [-o DIR]: receives files from `sockit send` into DIR. Each file arrives
// in DIR/.NAME.sockit-part (0600), received, hashed and written (or spliced, --copy splice);
// once its size and XXH3-128 match the sender's it is synced, given the sender's mode
// (& 0777 & ~umask), renamed to
// DIR/NAME and acknowledged. Binds loopback unless ADDR is given; one sender unless -k. --raw
// stores one plain byte stream (from nc -N) as --name.
#include <sys/stat.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "args.hpp"
#include "socket_flags.hpp"
#include "commands.hpp"
#include "loopback_pair.hpp"
#include "stop_signals.hpp"
#include "transfer_channel.hpp"
#include "transfer_progress.hpp"
#include "transfer_summary.hpp"
#include "sockit/error.hpp"
#include "sockit/file_hash.hpp"
#include "sockit/io.hpp"
#include "sockit/options.hpp"
#include "sockit/part_file.hpp"
#include "sockit/socket_to_file.hpp"
#include "sockit/tcp.hpp"
#include "sockit/transfer_name.hpp"
#include "sockit/wait.hpp"

namespace sockit::cli {
namespace {

struct recv_args {
  socket_flags sock;
  std::string where;  // [ADDR:]PORT
  std::string dir = ".";
  bool force = false;
  long long max_size = 0;  // 0: no limit
  bool keep_open = false;
  bool resume = false;
  bool raw = false;
  std::string name;  // --raw: the file to create
  double wait = 30;
  // Hidden: "splice" for socket -> pipe -> file, measured slower here than recv + hash + write
  // (docs/commands/send.md), kept to measure against (bench/transfer.sh).
  std::string copy = "read";
};

// Hashing and early writeback run every this many bytes of body.
constexpr std::uint64_t hash_step = 8u << 20;

// The body's bytes from the socket into the partial file, hashed on the way: recv + hash + write
// or, with --copy splice, by splice (a thread hashing what reached the page cache).
class body_sink {
 public:
  body_sink(bool use_splice) : splice_(use_splice) {}
  std::error_code open() {
    if (!splice_) {
      buf_.resize(1 << 20);
      return {};
    }
    auto p = socket_to_file::open(1 << 20);
    if (!p && p.error() == errc::not_supported) {  // no splice (Windows): recv + write
      splice_ = false;
      return open();
    }
    if (!p) return p.error();
    pipe_ = std::make_unique<socket_to_file>(std::move(*p));
    return {};
  }
  // Moves up to `max` bytes that have arrived into the file and the hash.
  result<std::size_t> move(const socket& s, part_file& part, std::uint64_t& done, std::uint64_t max, xxh3_128& h) {
    std::size_t cap = static_cast<std::size_t>(std::min<std::uint64_t>(max, 1u << 20));
    if (splice_) {
      auto n = pipe_->try_move(s, part.fd(), cap);
      if (!n) return n;
      done += *n;
      return n;
    }
    auto n = try_recv(s, std::span<std::byte>(buf_.data(), std::min(cap, buf_.size())));
    if (!n) return n;
    h.update(std::span<const std::byte>(buf_.data(), *n));
    auto w = write_all(part.fd(), std::span<const std::byte>(buf_.data(), *n));
    if (w.ec) return w.ec;
    done += *n;
    return n;
  }
  // A file's body starts at `from`, `h` holding the bytes before it. With splice the bytes are
  // hashed from the page cache by a follower thread, on a copy of `h` that settle(..., true)
  // puts back.
  std::error_code begin(part_file& part, std::uint64_t from, const xxh3_128& h) {
    settled_ = from;
    follower_.reset();
    if (!splice_) return {};
    auto f = file_hash_follower::start(part.fd(), from, h);
    if (!f) return f.error();
    follower_ = std::move(*f);
    return {};
  }
  // Hands what arrived since the last call to the hash and starts its writeback, when a step's
  // worth has or `all`; `all` also waits for the hash to be complete, into `h`.
  std::error_code settle(part_file& part, std::uint64_t done, xxh3_128& h, bool all) {
    if (done >= settled_ + (all ? 1 : hash_step)) {
      if (follower_) follower_->advance(done);
      (void)part.start_writeback(settled_, done - settled_);
      settled_ = done;
    }
    if (!all || !follower_) return {};
    auto ec = follower_->finish(h);
    follower_.reset();
    return ec;
  }

 private:
  bool splice_;
  std::unique_ptr<socket_to_file> pipe_;
  std::unique_ptr<file_hash_follower> follower_;
  std::vector<std::byte> buf_;
  std::uint64_t settled_ = 0;
};

class receiver {
 public:
  receiver(const socket& s, const recv_args& a, part_file& dir, std::string peer, unsigned umask_bits)
      : ch_(s, a.wait), a_(a), dir_(dir), peer_(std::move(peer)), umask_(umask_bits),
        progress_(transfer_progress::stderr_is_terminal()), sink_(a.copy == "splice") {
    ch_.on_tick([this] { progress_.update(done_); });
  }

  int run(transfer_totals& totals) {
    if (auto ec = sink_.open()) return fail("open a pipe", ec);
    if (a_.raw) return run_raw(totals);
    for (;;) {
      auto m = ch_.receive();
      if (!m) {
        if (m.error() == errc::end_of_stream || m.error() == std::errc::connection_aborted) {
          return fail_message(fmt::format("transfer truncated: {} left after {} file(s) without finishing", peer_,
                                          totals.files.size()));
        }
        return link_failure("receive from " + peer_, m.error());
      }
      if (auto* z = std::get_if<wire::end>(&*m)) {
        if (z->files != totals.files.size()) {
          return protocol_error(fmt::format("the sender counts {} file(s), {} arrived", z->files, totals.files.size()));
        }
        return exit_ok;
      }
      auto* h = std::get_if<wire::file_header>(&*m);
      if (!h) {
        if (auto* e = std::get_if<wire::error_message>(&*m)) return fail_message(peer_error_line("sender", *e));
        return protocol_error("expected a file header");
      }
      file_outcome out;
      if (int code = receive_file(*h, out); code != exit_ok) return code;
      totals.files.push_back(std::move(out));
    }
  }

 private:
  // A failure we report to both ends: one line here, the same text in an error message to the
  // sender; the partial file goes unless `keep` (a --resume receiver keeps what an interrupted
  // transfer left). The sender is told last, so when it exits the partial file is settled and
  // our line is written.
  int refuse(wire::error_code_class code, const std::string& text, bool keep = false) {
    progress_.finish();
    if (part_open_) {
      if (keep) {
        spdlog::info("keeping {} bytes in {} for --resume", done_, dir_.part_name());
        dir_.close_part();
      } else {
        (void)dir_.discard();
      }
      part_open_ = false;
    }
    int code_here = fail_message(text);
    (void)ch_.send(wire::error_message{code, text});
    ch_.linger_close();
    return code_here;
  }

  int protocol_error(const std::string& what) {
    return refuse(wire::error_code_class::protocol, peer_ + ": " + what + " (protocol error)");
  }

  // The connection broke, or Ctrl+C / the idle limit: what is held so far is kept for --resume.
  int link_failure(const std::string& what, std::error_code ec) {
    if (ec.category() == wire::wire_category()) {
      return refuse(wire::error_code_class::protocol, peer_ + ": " + ec.message());
    }
    if (ec == std::errc::operation_canceled) {
      return refuse(wire::error_code_class::aborted, "interrupted: " + what + " did not finish", a_.resume);
    }
    if (ec == std::errc::timed_out && ch_.message_late()) {
      return refuse(wire::error_code_class::aborted,
                    fmt::format("{}: {} did not finish a message within {} s of its first byte", what, peer_, a_.wait),
                    a_.resume);
    }
    if (ec == std::errc::timed_out) {
      return refuse(wire::error_code_class::aborted,
                    fmt::format("{}: {} sent nothing for {} s", what, peer_, a_.wait), a_.resume);
    }
    return refuse(wire::error_code_class::aborted, describe(what, ec), a_.resume);
  }

  std::string where(const std::string& name) const {
    return (a_.dir == "." ? std::string() : a_.dir + (a_.dir.ends_with('/') ? "" : "/")) + name;
  }

  int storage_error(const std::string& what, std::error_code ec) {
    return refuse(wire::error_code_class::storage, describe(what, ec));
  }

  // The body, [done_, size): into the partial file and the hash.
  int receive_body(const std::string& shown, std::uint64_t size, xxh3_128& h) {
    while (done_ < size) {
      auto n = sink_.move(ch_.sock(), dir_, done_, size - done_, h);
      if (n) {
        if (auto ec = sink_.settle(dir_, done_, h, false)) return storage_error("hash " + where(dir_.part_name()), ec);
        progress_.update(done_);
        if (stop_requested()) return link_failure("receive " + shown, std::make_error_code(std::errc::operation_canceled));
        continue;
      }
      if (n.error() == errc::end_of_stream) {
        return refuse(wire::error_code_class::aborted,
                      fmt::format("{}: transfer truncated at {} of {} bytes: {} closed the connection", shown, done_,
                                  size, peer_),
                      a_.resume);
      }
      if (n.error() != errc::would_block) {
        // The socket side (reset) or the file side (disk full, I/O error).
        if (n.error() == std::errc::connection_reset || n.error() == std::errc::connection_aborted) {
          return link_failure("receive " + shown + " from " + peer_, n.error());
        }
        return storage_error("write " + where(dir_.part_name()), n.error());
      }
      auto w = ch_.wait(wait_entry::readable);
      if (!w) return link_failure("receive " + shown, w.error());
    }
    if (auto ec = sink_.settle(dir_, done_, h, true)) return storage_error("hash " + where(dir_.part_name()), ec);
    return exit_ok;
  }

  // flag_hash_after: the T message after the body, its hash into `want`.
  int receive_trailer(const std::string& shown, hash128& want) {
    auto m = ch_.receive();
    if (!m) {
      if (m.error() == errc::end_of_stream || m.error() == std::errc::connection_aborted) {
        return refuse(wire::error_code_class::aborted,
                      fmt::format("{}: transfer truncated: {} closed the connection before the file's hash", shown, peer_),
                      a_.resume);
      }
      return link_failure("receive the hash of " + shown, m.error());
    }
    auto* t = std::get_if<wire::trailer>(&*m);
    if (!t) {
      if (auto* e = std::get_if<wire::error_message>(&*m)) {
        progress_.finish();
        if (a_.resume) dir_.close_part();
        else (void)dir_.discard();
        part_open_ = false;
        return fail_message(peer_error_line("sender", *e));
      }
      return protocol_error("expected the hash of " + shown + " after its body");
    }
    want = t->hash;
    return exit_ok;
  }

  int receive_file(const wire::file_header& hdr, file_outcome& out) {
    std::string shown = "'" + one_line(hdr.name) + "'";
    if (auto why = local_name_problem(hdr.name); !why.empty()) {
      return refuse(wire::error_code_class::refused, "refused " + shown + ": the name " + std::string(why));
    }
    if (a_.max_size > 0 && hdr.size > static_cast<std::uint64_t>(a_.max_size)) {
      return refuse(wire::error_code_class::refused,
                    fmt::format("refused {}: {} bytes is over the receiver's --max-size of {} bytes", shown, hdr.size,
                                a_.max_size));
    }
    auto exists = dir_.target_exists(hdr.name);
    if (!exists) return storage_error("look up " + where(hdr.name), exists.error());
    if (*exists && !a_.force) {
      return refuse(wire::error_code_class::refused,
                    "refused " + shown + ": " + where(hdr.name) + " exists (the receiver needs --force to replace it)");
    }
    bool keep = a_.resume && hdr.resume();
    if (auto ec = dir_.open_part(hdr.name, keep)) {
      if (ec == std::errc::device_or_resource_busy) {
        return refuse(wire::error_code_class::refused, "refused " + shown + ": another transfer of it is in progress");
      }
      return storage_error("create " + where(partial_name(hdr.name)), ec);
    }
    part_open_ = true;
    xxh3_128 h;
    std::uint64_t offset = 0;
    if (hdr.resume()) {
      std::uint64_t have = dir_.size_at_open();
      if (have > hdr.size) {
        if (auto ec = dir_.truncate()) return storage_error("truncate " + where(dir_.part_name()), ec);
        have = 0;
      }
      if (auto ec = hash_mapped_range(dir_.fd(), 0, have, h)) return storage_error("read " + where(dir_.part_name()), ec);
      if (auto ec = ch_.send(wire::offer{have, h.digest()})) return link_failure("send to " + peer_, ec);
      auto m = ch_.receive();
      if (!m) return link_failure("receive from " + peer_, m.error());
      auto* st = std::get_if<wire::start>(&*m);
      if (!st) {
        if (auto* e = std::get_if<wire::error_message>(&*m)) {
          progress_.finish();
          if (keep) dir_.close_part();  // kept for a later --resume
          else (void)dir_.discard();
          part_open_ = false;
          return fail_message(peer_error_line("sender", *e));
        }
        return protocol_error("expected the start of " + shown);
      }
      if (st->offset == have) {
        offset = have;
      } else if (st->offset == 0) {
        if (auto ec = dir_.truncate()) return storage_error("truncate " + where(dir_.part_name()), ec);
        h.reset();
      } else {
        return protocol_error(fmt::format("start of {} at {}, offered {}", shown, st->offset, have));
      }
      if (offset > 0) spdlog::info("{}: resuming at {} of {} bytes", shown, offset, hdr.size);
    }
    if (auto ec = dir_.reserve(hdr.size)) return storage_error("allocate " + where(dir_.part_name()), ec);
    done_ = offset;
    if (auto ec = sink_.begin(dir_, offset, h)) return storage_error("hash " + where(dir_.part_name()), ec);
    progress_.begin(hdr.name, hdr.size, offset);
    if (int code = receive_body(shown, hdr.size, h); code != exit_ok) return code;
    hash128 want = hdr.hash;
    if (hdr.hash_after()) {
      if (int code = receive_trailer(shown, want); code != exit_ok) return code;
    }
    hash128 got = h.digest();
    if (got != want) {
      return refuse(wire::error_code_class::integrity,
                    fmt::format("{}: content hash mismatch (received {}, sender says {}): changed in transit, not stored",
                                shown, got.hex(), want.hex()));
    }
    std::uint32_t mode = hdr.mode & 0777 & ~umask_;
    if (auto ec = dir_.commit(mode, a_.force)) {
      if (ec == std::errc::file_exists) {
        return refuse(wire::error_code_class::refused,
                      "refused " + shown + ": " + where(hdr.name) + " appeared meanwhile (the receiver needs --force)");
      }
      return storage_error("store " + where(hdr.name), ec);
    }
    part_open_ = false;
    progress_.finish();
    spdlog::info("{}: stored as {} ({} bytes, xxh3-128 {})", shown, where(hdr.name), hdr.size, got.hex());
    if (auto ec = ch_.send(wire::ack{hdr.size, got})) return fail("acknowledge " + shown + " to " + peer_, ec);
    out.name = hdr.name;
    out.size = hdr.size;
    out.resumed_from = offset;
    out.hash = got;
    return exit_ok;
  }

  // --raw: every byte until the peer's FIN is the file.
  int run_raw(transfer_totals& totals) {
    std::string shown = "'" + one_line(a_.name) + "'";
    if (auto ec = dir_.open_part(a_.name, false)) {
      if (ec == std::errc::device_or_resource_busy) return fail_message("another transfer of " + shown + " is in progress");
      return fail("create " + where(partial_name(a_.name)), ec);
    }
    part_open_ = true;
    xxh3_128 h;
    auto limit = a_.max_size > 0 ? static_cast<std::uint64_t>(a_.max_size) : ~std::uint64_t{0} - 1;
    done_ = 0;
    if (auto ec = sink_.begin(dir_, 0, h)) return fail("hash " + where(dir_.part_name()), ec);
    progress_.begin(a_.name, 0, 0);
    for (;;) {
      auto n = sink_.move(ch_.sock(), dir_, done_, limit + 1 - done_, h);
      if (n) {
        if (done_ > limit) {
          (void)dir_.discard();
          part_open_ = false;
          return fail_message(fmt::format("{}: more than --max-size ({} bytes) arrived; not stored", shown, limit));
        }
        if (auto ec = sink_.settle(dir_, done_, h, false)) return fail("hash " + where(dir_.part_name()), ec);
        progress_.update(done_);
        if (stop_requested()) break;
        continue;
      }
      if (n.error() == errc::end_of_stream) break;
      if (n.error() != errc::would_block) {
        (void)dir_.discard();
        part_open_ = false;
        return fail("receive " + shown + " from " + peer_, n.error());
      }
      auto w = ch_.wait(wait_entry::readable);
      if (!w) {
        (void)dir_.discard();
        part_open_ = false;
        if (w.error() == std::errc::operation_canceled) return fail_message("interrupted: " + shown + " not stored");
        return fail("receive " + shown + " from " + peer_, w.error());
      }
    }
    if (stop_requested()) {
      (void)dir_.discard();
      part_open_ = false;
      return fail_message("interrupted: " + shown + " not stored");
    }
    if (auto ec = sink_.settle(dir_, done_, h, true)) return fail("hash " + where(dir_.part_name()), ec);
    if (auto ec = dir_.commit(0666 & ~umask_, a_.force)) {
      (void)dir_.discard();
      part_open_ = false;
      return fail("store " + where(a_.name), ec);
    }
    part_open_ = false;
    progress_.finish();
    totals.files.push_back({a_.name, done_, 0, h.digest()});
    return exit_ok;
  }

  transfer_channel ch_;
  const recv_args& a_;
  part_file& dir_;
  std::string peer_;
  unsigned umask_;
  transfer_progress progress_;
  body_sink sink_;
  std::uint64_t done_ = 0;
  bool part_open_ = false;
};

// Where to listen: "PORT" or ":PORT" loopback (both families), "ADDR:PORT" that address.
int bind_listeners(const recv_args& a, std::vector<bound_socket>& out, std::vector<applied_option>& applied) {
  std::string text = a.where;
  std::string failed;
  listen_options lo;
  if (!no_socket_flags(a.sock)) lo.prepare = socket_preparer(a.sock, true, applied, failed);
  auto listen = [&](const endpoint& e) {
    auto s = tcp_listen(e, lo);
    if (s) log_applied(applied);  // accepted connections inherit the listener's options
    return s;
  };
  bool port_only = !text.empty() && text.find(':') == std::string::npos;  // "9000" or a service name
  host_port hp;
  if (port_only || text.starts_with(":")) {
    std::uint16_t port = 0;
    int code = exit_ok;
    if (!parse_port_arg(port_only ? text : text.substr(1), port, code)) return code;
    return bind_loopback_pair(port, listen, "listen", "tcp", out);
  }
  auto parsed = parse_host_port(text, transport::tcp);
  if (!parsed) return address_usage_error("bad address", text, parsed.error());
  int code = exit_ok;
  if (!check_host_arg(parsed->host, code)) return code;
  resolve_options ro;
  ro.passive = true;
  auto eps = resolve(parsed->host, parsed->port, ro);
  if (!eps) {
    if (code_for(eps.error()) == exit_usage) return usage_error("bad address", text, eps.error());
    return fail("resolve " + parsed->host, eps.error());
  }
  const endpoint& at = eps->front();
  auto s = listen(at);
  if (!s) return bind_failure("listen " + at.to_string(), s.error(), "choose another, or 0");
  auto local = s->local_endpoint();
  out.push_back({std::move(*s), local ? *local : at});
  announce_listening(out.back().at, "tcp");
  return exit_ok;
}

int run_recv(const recv_args& given, const context& ctx) {
  install_stop_handlers();
  recv_args a = given;
  int flags_code = exit_ok;
  if (!check_socket_flags(a.sock, true, flags_code)) return flags_code;
  if (int tc = try_socket_flags(a.sock, true, AF_INET); tc != exit_ok) return tc;
  if (a.where.empty()) return fail_message("port is required (usage: sockit recv [ADDR:]PORT [-o DIR])", exit_usage);
  if (a.raw && a.name.empty()) return fail_message("--raw needs --name NAME: the file to store the bytes as", exit_usage);
  if (!a.raw && !a.name.empty()) return fail_message("--name goes with --raw (files sent by sockit send carry their names)", exit_usage);
  if (a.raw && a.resume) return fail_message("--resume needs the sockit protocol, not --raw", exit_usage);
  if (a.raw && a.keep_open) {
    return fail_message("-k goes with files from sockit send: --raw stores one stream as --name", exit_usage);
  }
  if (a.raw) {
    if (auto why = local_name_problem(a.name); !why.empty()) {
      return fail_message("bad --name '" + one_line(a.name) + "': the name " + std::string(why), exit_usage);
    }
  }
  auto dir = part_file::open_directory(a.dir);
  if (!dir) return fail("output directory " + a.dir, dir.error());
  if (a.raw && !a.force) {
    auto exists = dir->target_exists(a.name);
    if (exists && *exists) return fail_message("'" + one_line(a.name) + "' exists in " + a.dir + " (--force replaces it)");
  }
  unsigned umask_bits = ::umask(0);
  ::umask(umask_bits);

  std::vector<bound_socket> listeners;
  std::vector<applied_option> applied;
  if (int bc = bind_listeners(a, listeners, applied); bc != exit_ok) return bc;
  for (auto& l : listeners) {
    if (auto ec = set_nonblocking(l.sock, true)) return fail("set non-blocking", ec);
  }
  int code = exit_ok;
  for (;;) {
    std::vector<wait_entry> w(listeners.size());
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = {listeners[i].sock.native_handle(), wait_entry::readable, 0};
    auto n = wait_any(w, deadline::never());  // Ctrl+C here ends at once: nothing is in progress
    if (!n) return fail("wait", n.error());
    for (std::size_t i = 0; i < w.size(); ++i) {
      if (!w[i].ready) continue;
      endpoint peer;
      accept_options ao;
      ao.peer = &peer;
      ao.nonblocking = true;
      auto c = tcp_accept(listeners[i].sock, ao);
      if (!c && c.error() == errc::would_block) continue;
      if (!c) return fail("accept on " + listeners[i].at.to_string(), c.error());
      spdlog::info("connection from {}", peer.to_string());
      if (!a.keep_open) listeners.clear();  // one sender: later ones are refused, not queued
      transfer_totals totals;
      totals.role = "recv";
      totals.peer = peer.to_string();
      totals.raw = a.raw;
      totals.socket_options = applied_json(applied);
      auto started = clock::now();
      defer_stop(true);
      receiver r(*c, a, *dir, peer.to_string(), umask_bits);
      code = r.run(totals);
      totals.seconds = std::chrono::duration<double>(clock::now() - started).count();
      if (code == exit_ok && ctx.json) print_out("{}\n", summary_json(totals));
      if (!a.keep_open || stop_requested() || stdout_error()) return code;
      defer_stop(false);
      break;
    }
  }
}

struct recv_usage : CLI::Formatter {
  std::string make_usage(const CLI::App*, std::string name) const override {
    return "Usage: " + name + " [OPTIONS] [ADDR:]PORT\n";
  }
};

}  // namespace

void setup_recv(CLI::App& cmd, context& ctx) {
  auto a = std::make_shared<recv_args>();
  cmd.add_option("WHERE", a->where, "[ADDR:]PORT to listen on: PORT alone is loopback (127.0.0.1 and ::1); 0 lets the kernel pick");
  cmd.formatter(std::make_shared<recv_usage>());
  cmd.add_option("-o,--output", a->dir, "Directory to store the files in (default: the current one)")->type_name("DIR");
  cmd.add_flag("-f,--force", a->force, "Replace files that exist (atomically, by rename)");
  cmd.add_option("--max-size", a->max_size, "Refuse files larger than this many bytes (default: no limit)")
      ->check(int_check(1, no_upper_bound, "bytes"));
  cmd.add_flag("-k,--keep-open", a->keep_open, "After a sender finishes, wait for the next one");
  cmd.add_flag("--resume", a->resume,
               "Keep what an interrupted transfer left (DIR/.NAME.sockit-part) and offer it to a sender that asks "
               "(send --resume)");
  cmd.add_flag("--raw", a->raw, "Take plain bytes (from nc -N), no header, until the sender closes; store them as --name");
  cmd.add_option("--name", a->name, "With --raw: the file name to store the bytes under")->type_name("NAME");
  cmd.add_option("-w,--wait", a->wait, "Seconds a connected sender may stay silent, or take over one message, before the transfer fails (default 30)")
      ->check(seconds_check(false));
  cmd.add_option("--copy", a->copy, "")->check(CLI::IsMember({"splice", "read"}))->group("");  // bench/transfer.sh
  cmd.footer(
      "Examples:\n"
      "  sockit recv 9000 -o incoming/                 # one sender on 127.0.0.1/::1 port 9000\n"
      "  sockit recv 0.0.0.0:9000 -k --max-size 1000000000  # all interfaces, sender after sender, files up to 1 GB\n"
      "  sockit recv 9000 --resume                     # keep partial files; send --resume continues them\n"
      "  sockit --json recv 0                          # kernel picks the port ('listening on' on stderr)\n"
      "  sockit recv 9000 --raw --name copy.bin & nc -N 127.0.0.1 9000 < big.iso\n"
      "A file is written as DIR/.NAME.sockit-part and renamed to DIR/NAME only once its size and XXH3-128 hash\n"
      "match and it is synced. Exit status: 0 every file stored, 1 any failure (refused, truncated, hash mismatch,\n"
      "disk full: one line here and at the sender), 2 usage error; Ctrl+C while waiting for a sender exits 0.");
  add_socket_flags(cmd, a->sock, {.tcp = true, .server = true, .client = false});
  cmd.callback([a, &ctx] { ctx.run = [a, &ctx] { return run_recv(*a, ctx); }; });
}

}  // namespace sockit::cli
