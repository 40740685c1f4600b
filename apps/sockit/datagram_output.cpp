#include "datagram_output.hpp"

#include <string>

#include <fmt/core.h>

#include "cli.hpp"
#include "json.hpp"
#include "output.hpp"
#include "printable.hpp"

namespace sockit::cli {

std::error_code print_datagram(datagram_format f, const endpoint& from, std::string_view data, std::size_t wire_size) {
  std::string out;
  switch (f) {
    case datagram_format::raw:
      out.assign(data);
      break;
    case datagram_format::labelled:
    case datagram_format::labelled_sized:
      out = from.to_string();
      if (f == datagram_format::labelled_sized) out += fmt::format(" ({} byte{})", wire_size, wire_size == 1 ? "" : "s");
      out += ": ";
      out += printable(data);
      if (data.empty() || data.back() != '\n') out += '\n';
      break;
    case datagram_format::json: {
      json_object o;
      o.add("from", from.to_string()).add("size", static_cast<std::uint64_t>(wire_size)).add_bytes("data", data);
      if (wire_size > data.size()) o.add("truncated", true);
      out = o.str() + "\n";
      break;
    }
  }
  if (f != datagram_format::json && wire_size > data.size()) {
    notice(fmt::format("datagram from {} truncated: {} of its {} bytes kept", from.to_string(), data.size(), wire_size));
  }
  return write_out(out);
}

}  // namespace sockit::cli
