// RFC 864 chargen.
#include "chargen.hpp"

#include <memory>
#include <random>

namespace sockit::cli {

namespace {
constexpr int first_char = 32;  // ' '
constexpr int ring = 95;        // ' ' .. '~'
constexpr std::size_t line_chars = 72;
constexpr std::size_t block_lines = 64;         // ~4.6 KiB per send
constexpr int max_blocks_per_turn = 16;         // then yield to the loop

struct chargen_state {
  std::uint64_t next_line = 0;
  bool refill_posted = false;
  std::string block;
};

void refill(tcp_connection& c) {
  auto st = std::static_pointer_cast<chargen_state>(c.context);
  if (!st) return;
  for (int i = 0; i < max_blocks_per_turn; ++i) {
    if (c.closed() || c.output_size() > 0) return;  // the kernel is full: on_drain calls us back
    st->block.clear();
    chargen_lines(st->block, st->next_line, block_lines);
    st->next_line += block_lines;
    c.send(st->block);
  }
  if (c.closed() || c.output_size() > 0 || st->refill_posted) return;
  st->refill_posted = true;
  std::weak_ptr<tcp_connection> weak = c.shared_from_this();
  c.loop().post([weak] {
    auto self = weak.lock();
    if (!self) return;
    if (auto s = std::static_pointer_cast<chargen_state>(self->context)) s->refill_posted = false;
    refill(*self);
  });
}
}  // namespace

void chargen_lines(std::string& out, std::uint64_t first, std::size_t lines) {
  out.reserve(out.size() + lines * (line_chars + 2));
  for (std::size_t l = 0; l < lines; ++l) {
    auto start = static_cast<int>((first + l) % ring);
    for (std::size_t i = 0; i < line_chars; ++i) {
      out += static_cast<char>(first_char + (start + static_cast<int>(i)) % ring);
    }
    out += "\r\n";
  }
}

void chargen_open(tcp_connection& c) {
  c.context = std::make_shared<chargen_state>();
  c.on_data([](tcp_connection&, buffer& input) { input.clear(); });
  c.on_peer_eof([](tcp_connection&) {});  // keep generating until the client closes
  c.on_drain([](tcp_connection& conn) { refill(conn); });
  refill(c);
}

udp_service::responder chargen_responder() {
  struct state {
    std::minstd_rand rng{std::random_device{}()};
    std::uint64_t next_line = 0;
    std::string lines;
  };
  auto st = std::make_shared<state>();
  return [st](std::span<const std::byte>, std::string& reply) {
    auto size = static_cast<std::size_t>(std::uniform_int_distribution<int>(0, 512)(st->rng));
    st->lines.clear();
    chargen_lines(st->lines, st->next_line++, 8);  // 8 * 74 = 592 >= 512
    reply.assign(st->lines, 0, size);
    return true;
  };
}

}  // namespace sockit::cli
