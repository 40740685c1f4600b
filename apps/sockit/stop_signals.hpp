// Ctrl+C for the commands that relay a terminal (connect, listen), by the rule every command
// follows: the first SIGINT/SIGTERM finishes as at end of input, with the normal exit status; a
// second one exits 130 at once.
#pragma once

namespace sockit::cli {

// Installs the handlers. Until a relay runs (connecting, accepting, waiting for the first
// datagram) there is nothing to finish, so the first signal exits 0 at once.
void install_stop_handlers();

// While a relay runs, the first signal only raises a flag: the relay sees it on its next turn
// (its wait is interrupted, as the handlers are installed without SA_RESTART) and ends as at EOF.
void defer_stop(bool on);
bool stop_requested();

}  // namespace sockit::cli
