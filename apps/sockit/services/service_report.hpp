// How a run of services reports itself: once bound, what listens where; at the end, the totals.
// serve and echo print a table (or JSON objects); a service with its own output (proto serve)
// brings its own report and runs on the same host.
#pragma once

#include <memory>
#include <vector>

#include "service_stats.hpp"

namespace sockit::cli {

class service_report {
 public:
  virtual ~service_report() = default;
  // Once every socket is bound: one row per socket, in the order the services were given.
  virtual void listening(const std::vector<service_stats>& rows) = 0;
  // After the loops have stopped: the same rows, summed over the loops.
  virtual void totals(const std::vector<service_stats>& rows) = 0;
};

// serve's and echo's: a stderr "listening on" line per socket and a table on stdout (or one JSON
// object per socket); the totals as a table or one JSON object.
std::unique_ptr<service_report> make_table_report(bool json);

// Adds one loop's rows to the running sum, row by row (every loop has the same rows).
void add_totals(std::vector<service_stats>& sum, const std::vector<service_stats>& part);

}  // namespace sockit::cli
