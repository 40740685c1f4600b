// Parsing --exec and --sh-exec (see exec_command.hpp).
#include "exec_command.hpp"

namespace sockit::cli {

exec_command split_exec(std::string_view text) {
  exec_command c;
  c.text = std::string(text);
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) c.argv.emplace_back(text.substr(start, i - start));
  }
  return c;
}

exec_command shell_exec(std::string_view text) {
  exec_command c;
  c.shell = true;
  c.text = std::string(text);
  c.argv = {"sh", "-c", std::string(text)};
  return c;
}

}  // namespace sockit::cli
