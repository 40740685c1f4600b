// connect/listen --exec and --sh-exec (see exec_session.hpp).
#include "exec_session.hpp"

#include <chrono>
#include <map>
#include <utility>

#include <spdlog/spdlog.h>

#include "child_process.hpp"
#include "cli.hpp"
#include "stop_signals.hpp"
#include "sockit/error.hpp"
#include "sockit/options.hpp"
#include "sockit/tcp.hpp"

namespace sockit::cli {

namespace {

using namespace std::chrono_literals;

// After a Ctrl+C: how long children get to end on SIGTERM before SIGKILL, and how long we wait
// for the killed ones before leaving (a process stuck in the kernel cannot hold us forever).
constexpr auto term_grace = 2s;
constexpr auto kill_grace = 2s;

struct running_child {
  std::string peer;  // "peer 127.0.0.1:5555" or "" (connect)
};

std::string prefix(const std::string& peer) { return peer.empty() ? std::string() : peer + ": "; }

// "peer 127.0.0.1:5555: exec 'rev'", "fork for 'rev'" (no child could be made).
std::string spawn_failure(const std::string& peer, const char* failed, const exec_command& cmd) {
  std::string_view call = failed ? failed : "exec";
  return fmt::format("{}{}{} '{}'", prefix(peer), call, call == "exec" ? "" : " for", cmd.text);
}

// The children alive, by pid, and what their ends were.
class child_table {
 public:
  void add(int pid, std::string peer) { children_[pid] = running_child{std::move(peer)}; }
  bool empty() const noexcept { return children_.empty(); }
  std::size_t size() const noexcept { return children_.size(); }

  // Reaps what has ended, logs each end, and returns the exits.
  std::vector<child_exit> reap() {
    auto ended = reap_children();
    for (const auto& e : ended) {
      auto it = children_.find(e.pid);
      std::string p = it == children_.end() ? std::string() : prefix(it->second.peer);
      spdlog::info("{}child {} {}", p, e.pid, describe_exit(e));
      if (it != children_.end()) children_.erase(it);
    }
    return ended;
  }

  void signal_all(int sig) {
    for (const auto& [pid, c] : children_) {
      spdlog::info("{}stopping child {} ({})", prefix(c.peer), pid, sig == SIGKILL ? "SIGKILL" : "SIGTERM");
      signal_child(pid, sig);
    }
  }

 private:
  std::map<int, running_child> children_;
};

// After a first Ctrl+C/SIGTERM: SIGTERM to every child, SIGKILL to those left after term_grace,
// then wait (bounded) until they are reaped, so none is left behind unreaped by a clean exit.
void stop_children(child_table& children, child_watch& watch) {
  if (children.empty()) return;
  children.signal_all(SIGTERM);
  auto by = deadline::after(term_grace);
  bool killed = false;
  for (;;) {
    children.reap();
    if (children.empty()) return;
    if (by.expired()) {
      if (killed) {
        spdlog::warn("children still running after SIGKILL; leaving");
        return;
      }
      children.signal_all(SIGKILL);
      killed = true;
      by = deadline::after(kill_grace);
    }
    std::span<wait_entry> none;
    auto rc = watch.wait(none, by);
    if (!rc && rc.error() != std::errc::interrupted) {
      fail("wait for children", rc.error());
      return;
    }
  }
}

// The program's stdin and stdout are the socket's own descriptor, so it must be in blocking mode:
// a program reading a non-blocking stdin would see "try again" errors it does not expect.
std::error_code hand_over(const socket& s) { return set_nonblocking(s, false); }

}  // namespace

int run_exec_connect(socket s, const std::string& peer_name, const exec_command& cmd) {
  child_watch watch;
  if (auto ec = hand_over(s)) return fail("set blocking", ec);
  const char* failed = nullptr;
  auto pid = spawn_on_descriptor(cmd, s.native_handle(), &failed);
  if (!pid) return fail(spawn_failure("", failed, cmd), pid.error());  // the line before the close
  (void)s.close();  // the child has its copy
  const std::string who = "peer " + peer_name;
  spdlog::info("{}: started child {}: {}", who, *pid, cmd.text);
  child_table children;
  children.add(*pid, who);
  for (;;) {
    for (const auto& e : children.reap()) {
      if (e.pid == *pid) return exit_code_of(e);
    }
    if (stop_requested()) {
      spdlog::info("interrupted");
      stop_children(children, watch);
      return exit_ok;
    }
    std::span<wait_entry> none;
    auto rc = watch.wait(none, deadline::never());
    if (!rc && rc.error() != std::errc::interrupted) return fail("wait for child", rc.error());
  }
}

int run_exec_listen(std::vector<bound_socket>& listeners, bool keep_open, const exec_command& cmd,
                    const listen_gate* gate) {
  child_watch watch;
  // Non-blocking, so an accept after the wait never blocks (the peer may have left).
  for (auto& l : listeners) {
    if (auto ec = set_nonblocking(l.sock, true)) return fail("set non-blocking", ec);
  }
  child_table children;
  int only_child = 0;  // without keep_open: the one child, whose status is the exit code
  std::vector<wait_entry> w;
  for (;;) {
    for (const auto& e : children.reap()) {
      if (!keep_open && e.pid == only_child) return exit_code_of(e);
    }
    if (stop_requested()) {
      listeners.clear();  // stop accepting first: new clients are refused, not left queued
      spdlog::info("interrupted: no more connections");
      stop_children(children, watch);
      return exit_ok;
    }
    w.assign(listeners.size(), wait_entry{});
    for (std::size_t i = 0; i < listeners.size(); ++i) {
      w[i].fd = listeners[i].sock.native_handle();
      w[i].want = wait_entry::readable;
    }
    auto rc = watch.wait(w, deadline::never());
    if (!rc && rc.error() == std::errc::interrupted) continue;
    if (!rc) return fail("wait", rc.error());
    for (std::size_t i = 0; i < w.size() && i < listeners.size(); ++i) {
      if (!w[i].ready) continue;
      const bound_socket& l = listeners[i];
      endpoint peer;
      accept_options ao;
      ao.peer = &peer;  // blocking accepted socket (accept4 without SOCK_NONBLOCK), close-on-exec
      auto c = tcp_accept(l.sock, ao);
      if (!c && c.error() == errc::would_block) continue;  // the peer left before we took it
      if (!c) {
        // Out of descriptors or memory: say so, and keep the children served. The pending
        // connection stays pending, so pause before trying again instead of spinning on it
        // (at most ten lines a second); the pause still reaps and sees Ctrl+C.
        fail("accept on " + l.at.to_string(), c.error());
        if (!keep_open) return exit_failure;
        std::span<wait_entry> none;
        (void)watch.wait(none, deadline::after(100ms));
        break;
      }
      if (gate && !gate->admit(peer, children.size())) continue;  // closed: `c` goes out of scope
      const std::string who = "peer " + peer.to_string();
      spdlog::info("connection from {}", peer.to_string());
      if (!keep_open) listeners.clear();  // one peer only: later clients are refused
      const char* failed = nullptr;
      auto pid = spawn_on_descriptor(cmd, c->native_handle(), &failed);
      if (!pid) {
        // The line first, then the close: whoever sees the peer's EOF finds the reason written.
        int code = fail(spawn_failure(who, failed, cmd), pid.error());
        (void)c->close();
        if (!keep_open) return code;
        continue;
      }
      (void)c->close();  // the child has its copy; ours would keep the connection open after it ends
      spdlog::info("{}: started child {}: {}", who, *pid, cmd.text);
      children.add(*pid, who);
      if (!keep_open) only_child = *pid;
      break;  // `listeners` may have changed
    }
  }
}

}  // namespace sockit::cli
