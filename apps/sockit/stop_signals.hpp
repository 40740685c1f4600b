// Ctrl+C for the commands that relay a terminal (connect, listen), by the rule every command
// follows: the first SIGINT/SIGTERM finishes as at end of input, with the normal exit status; a
// second one exits 130 at once.
#pragma once

#include <string>

#include <sys/types.h>

#include "sockit/wait.hpp"  // sigset_t, also on Windows

namespace sockit::cli {

// Installs the handlers (SIGINT, SIGTERM, and SIGHUP unless it is ignored, as under nohup: a
// closed terminal stops a command the same way). Until a relay runs (connecting, accepting,
// waiting for the first datagram) there is nothing to finish, so the first signal exits 0 at once.
void install_stop_handlers();

// While a relay runs, the first signal only raises a flag: the relay sees it on its next turn
// (its wait is interrupted, as the handlers are installed without SA_RESTART) and ends as at EOF.
void defer_stop(bool on);
bool stop_requested();

// For the commands that take SIGINT/SIGTERM themselves (an event loop's signalfd, proto call's
// handler): counts one, so that stop_requested() says so and a later write to a stdout nobody
// reads (the final statistics) gives way instead of blocking for ever. Async-signal-safe.
void note_stop_signal();

// Whether SIGINT or SIGTERM waits blocked on this thread: the commands whose event loop takes them
// through a signalfd (udp recv, ping, the servers) or only inside its wait (proto call) cannot see
// them while a write to a stdout nobody reads blocks; write_out asks this to give way. Windows:
// false (its console handler runs on a thread of its own).
bool stop_signal_pending();

#ifndef _WIN32
// Whether SIGHUP is ignored (started under nohup): otherwise a closed terminal stops a command as
// SIGTERM does.
bool sighup_ignored();
#endif

// The calling thread's signal mask, to hand to wait_any so that a signal ends the wait (the
// handlers above come without SA_RESTART). Windows has no masks: an empty set, which wait_any
// ignores there (a console event arrives on a thread of its own).
sigset_t thread_signal_mask();

// A file this process created (a Unix socket's, `listen unix:/path`) that a signal ending the
// process must not leave behind: the handlers unlink it before they exit, if the path still names
// that device and inode. A normal return removes it by its owner (unix_socket_file); this covers
// the exits from inside the handler. Up to four files; more are ignored.
void remove_at_exit(const std::string& path, dev_t dev, ino_t ino);

// Exits at once with `code`, removing remove_at_exit's files first (async-signal-safe): for the
// commands whose second signal exits 130 from their own handler (the service loops).
[[noreturn]] void exit_removing_files(int code);

}  // namespace sockit::cli
