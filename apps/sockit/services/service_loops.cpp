// Running the loops of a service run: threads, signals, each loop's drain, the summed totals.
#include "service_loops.hpp"

#include <csignal>
#include <cstdlib>
#include <thread>

#include <spdlog/spdlog.h>

#include "service_report.hpp"
#include "../stop_signals.hpp"

namespace sockit::cli {

void shard::add(std::unique_ptr<tcp_service> t) {
  rows.push_back({t.get(), nullptr});
  tcps.push_back(std::move(t));
}

void shard::add(std::unique_ptr<udp_service> u) {
  rows.push_back({nullptr, u.get()});
  udps.push_back(std::move(u));
}

void shard::add(std::unique_ptr<loop_service> s) { others.push_back(std::move(s)); }

std::vector<service_stats> shard::totals() const {
  std::vector<service_stats> out;
  for (const auto& [t, u] : rows) out.push_back(t ? t->totals() : u->totals());
  return out;
}

std::size_t shard::sweep() {
  std::size_t left = 0;
  for (auto& t : tcps) left += t->sweep_drained();
  for (auto& o : others) left += o->sweep_drained();
  return left;
}

void shard::finish() {
  if (finished) return;
  finished = true;
  if (deadline_timer) loop->cancel(deadline_timer);
  if (sweep_timer) loop->cancel(sweep_timer);
  for (auto& t : tcps) t->close_all();
  for (auto& u : udps) u->close();
  for (auto& o : others) o->close_all();
  if (on_finished) on_finished();
}

void shard::begin_drain(std::chrono::milliseconds deadline) {
  if (draining || finished) return;
  draining = true;
  for (auto& t : tcps) t->begin_drain();
  for (auto& u : udps) u->close();
  for (auto& o : others) o->begin_drain();
  if (sweep() == 0) return finish();
  deadline_timer = loop->run_after(deadline, [this] {
    deadline_timer = 0;
    std::size_t left = 0;
    for (auto& t : tcps) left += t->live();
    if (left) spdlog::info("drain deadline: closing {} connection(s) with output still queued", left);
    finish();
  });
  // The kernel raises no event when a socket's send queue empties: look twenty times a second.
  sweep_timer = loop->run_every(std::chrono::milliseconds(50), [this] {
    if (sweep() == 0) finish();
  });
}

std::error_code service_loops::create(engine eng, int n) {
  shards_.resize(static_cast<std::size_t>(n));
  for (auto& sh : shards_) {
    auto loop_r = event_loop::create(eng);
    if (!loop_r) return loop_r.error();
    sh.loop = std::move(*loop_r);
  }
  return {};
}

std::error_code service_loops::watch_signals(std::function<void()> on_report) {
  // Loop 0 owns the signals. The first one drains; a second one exits 130 at once, the rule every
  // sockit command follows (the user asked twice: nothing more is waited for, totals included).
  auto handler = [this, on_report](int sig) {
#ifdef SIGUSR1
    if (sig == SIGUSR1) {
      if (on_report) on_report();
      return;
    }
#endif
    if (stopped_by_signal_) {
      spdlog::info("{} again: exiting now", sig == SIGINT ? "SIGINT" : "SIGTERM");
      exit_removing_files(130);  // a unix: socket file goes too
    }
    stopped_by_signal_ = true;
    note_stop_signal();  // the final report then gives way to a stdout nobody reads (write_out)
    spdlog::info("{}: stopping (draining connections)", sig == SIGINT ? "SIGINT" : "SIGTERM");
    for (auto& sh : shards_) {
      shard* p = &sh;
      sh.loop->post([p, d = drain_timeout_] { p->begin_drain(d); });
    }
  };
  auto& loop = *shards_.front().loop;
#ifdef SIGUSR1
  if (on_report) return loop.on_signals({SIGINT, SIGTERM, SIGUSR1}, handler);
#endif
  return loop.on_signals({SIGINT, SIGTERM}, handler);  // Windows: Ctrl+C and Ctrl+Break
}

std::error_code service_loops::run() {
  auto& first = shards_.front();
  // Loop 0 keeps running until every shard has finished, so that a second signal still reaches
  // the loops that are draining; `running` lives on loop 0's thread only.
  std::size_t running = shards_.size();
  auto one_finished = [&] {
    if (--running == 0) first.loop->stop();
  };
  // Failure (a loop whose poller broke) is the one case that stops the siblings early.
  auto abort_all = [&] {
    for (auto& sh : shards_) {
      shard* p = &sh;
      sh.loop->post([p] { p->finish(); });
    }
  };
  first.on_finished = one_finished;
  for (std::size_t k = 1; k < shards_.size(); ++k) {
    shard* p = &shards_[k];
    p->on_finished = [p] { p->loop->stop(); };
  }
  std::vector<std::thread> threads;
  for (std::size_t k = 1; k < shards_.size(); ++k) {
    shard* p = &shards_[k];
    threads.emplace_back([p, &first, &one_finished, &abort_all] {
      p->loop_error = p->loop->run();
      // On its own thread: everything still open goes with the loop that watched it.
      p->on_finished = nullptr;
      p->finish();
      if (p->loop_error) abort_all();
      first.loop->post(one_finished);
    });
  }
  first.loop_error = first.loop->run();
  if (first.loop_error) {
    // Loop 0 can no longer count the others down: close them now and wait.
    for (std::size_t k = 1; k < shards_.size(); ++k) {
      shard* p = &shards_[k];
      p->loop->post([p] { p->finish(); });
    }
  }
  first.on_finished = nullptr;
  first.finish();
  for (auto& t : threads) t.join();
  for (auto& sh : shards_) {
    if (sh.loop_error) return sh.loop_error;
  }
  return {};
}

std::vector<service_stats> service_loops::totals() const {
  auto sum = shards_.front().totals();
  for (std::size_t k = 1; k < shards_.size(); ++k) add_totals(sum, shards_[k].totals());
  return sum;
}

}  // namespace sockit::cli
