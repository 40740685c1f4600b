// The send/recv wire messages: exact bytes of a header, round trips of every message, the
// incremental size a reader asks for, refusals of garbage; and XXH3-128's canonical hex.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sockit/transfer_wire.hpp"
#include "sockit/xxh3.hpp"

namespace {

using namespace sockit;

std::vector<std::byte> bytes_of(std::string_view s) {
  auto b = std::as_bytes(std::span(s.data(), s.size()));
  return {b.begin(), b.end()};
}

wire::message round_trip(const wire::message& m) {
  auto bytes = wire::encode(m);
  auto need = wire::needed(bytes);
  EXPECT_TRUE(need);
  EXPECT_EQ(*need, bytes.size());
  auto back = wire::parse(bytes);
  EXPECT_TRUE(back) << back.error().message();
  return back ? *back : wire::message{};
}

TEST(xxh3, canonical_hex_matches_xxh128sum) {
  // xxh128sum of empty input, and of "abc" (xxHash's own test values).
  EXPECT_EQ(xxh3_128_of({}).hex(), "99aa06d3014798d86001c324468d497f");
  auto abc = bytes_of("abc");
  EXPECT_EQ(xxh3_128_of(abc).hex(), "06b05ab6733a618578af5f94892f3950");
  xxh3_128 h;
  h.update(std::span(abc).first(1));
  xxh3_128 copy = h;
  h.update(std::span(abc).subspan(1));
  EXPECT_EQ(h.digest(), xxh3_128_of(abc));
  copy.update(std::span(abc).subspan(1));
  EXPECT_EQ(copy.digest(), xxh3_128_of(abc));
  auto parsed = hash128::from_hex("06B05AB6733A618578AF5F94892F3950");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, xxh3_128_of(abc));
  EXPECT_FALSE(hash128::from_hex("06b05ab6"));
  EXPECT_FALSE(hash128::from_hex("zz" + std::string(30, '0')));
}

TEST(transfer_wire, header_bytes_are_as_documented) {
  wire::file_header h;
  h.flags = wire::flag_resume;
  h.mode = 0644;
  h.size = 0x0102030405060708;
  h.hash = {0x1111111111111111, 0x2222222222222222};
  h.name = "a.txt";
  auto b = wire::encode(h);
  ASSERT_EQ(b.size(), 6u + 31u + 5u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(b.data()), 4), "SKXF");
  EXPECT_EQ(b[4], std::byte{1});
  EXPECT_EQ(b[5], std::byte{'H'});
  EXPECT_EQ(b[6], std::byte{1});                                // flags
  EXPECT_EQ(b[9], std::byte{0x01}); EXPECT_EQ(b[10], std::byte{0xa4});  // mode 0644 big-endian
  EXPECT_EQ(b[11], std::byte{0x01}); EXPECT_EQ(b[18], std::byte{0x08});  // size
  EXPECT_EQ(b[19], std::byte{0x11}); EXPECT_EQ(b[27], std::byte{0x22});  // hash high, low
  EXPECT_EQ(b[35], std::byte{0}); EXPECT_EQ(b[36], std::byte{5});        // name length
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(b.data() + 37), 5), "a.txt");
}

TEST(transfer_wire, every_message_round_trips) {
  wire::file_header h{0, 0755, 12345, {1, 2}, "name with spaces"};
  auto m = round_trip(h);
  auto* hb = std::get_if<wire::file_header>(&m);
  ASSERT_TRUE(hb);
  EXPECT_EQ(hb->name, h.name);
  EXPECT_EQ(hb->size, h.size);
  EXPECT_EQ(hb->mode, h.mode);
  EXPECT_EQ(hb->hash, h.hash);
  EXPECT_FALSE(hb->resume());
  auto o = std::get<wire::offer>(round_trip(wire::offer{99, {3, 4}}));
  EXPECT_EQ(o.have, 99u);
  EXPECT_EQ(o.hash, (hash128{3, 4}));
  EXPECT_EQ(std::get<wire::start>(round_trip(wire::start{~0ull})).offset, ~0ull);
  auto a = std::get<wire::ack>(round_trip(wire::ack{7, {5, 6}}));
  EXPECT_EQ(a.size, 7u);
  auto e = std::get<wire::error_message>(round_trip(wire::error_message{wire::error_code_class::storage, "disk full"}));
  EXPECT_EQ(e.code, wire::error_code_class::storage);
  EXPECT_EQ(e.text, "disk full");
  EXPECT_EQ(std::get<wire::end>(round_trip(wire::end{3})).files, 3u);
  EXPECT_EQ(std::get<wire::trailer>(round_trip(wire::trailer{{7, 8}})).hash, (hash128{7, 8}));
  auto ha = std::get<wire::file_header>(round_trip(wire::file_header{wire::flag_hash_after, 0644, 1, {}, "x"}));
  EXPECT_TRUE(ha.hash_after());
  EXPECT_FALSE(ha.resume());
  // An error text over the limit is cut to it, never refused by our own parser.
  auto long_e = std::get<wire::error_message>(
      round_trip(wire::error_message{wire::error_code_class::refused, std::string(5000, 'x')}));
  EXPECT_EQ(long_e.text.size(), wire::max_text_bytes);
}

TEST(transfer_wire, needed_grows_one_field_at_a_time) {
  auto b = wire::encode(wire::file_header{0, 0600, 1, {}, "abc"});
  std::span<const std::byte> all(b);
  EXPECT_EQ(*wire::needed(all.first(0)), wire::prefix_size);
  EXPECT_EQ(*wire::needed(all.first(3)), wire::prefix_size);
  EXPECT_EQ(*wire::needed(all.first(6)), 6u + 31u);
  EXPECT_EQ(*wire::needed(all.first(20)), 6u + 31u);
  EXPECT_EQ(*wire::needed(all.first(37)), b.size());
  EXPECT_EQ(wire::parse(all.first(37)).error(), std::errc::message_size);
  // Bytes after the message are not its business.
  auto more = b;
  more.push_back(std::byte{0xff});
  EXPECT_EQ(*wire::needed(more), b.size());
  EXPECT_TRUE(wire::parse(more));
}

TEST(transfer_wire, garbage_is_refused_early) {
  EXPECT_EQ(wire::needed(bytes_of("g")).error(), wire::errc::bad_magic);
  EXPECT_EQ(wire::needed(bytes_of("garbage\n")).error(), wire::errc::bad_magic);
  EXPECT_EQ(wire::needed(bytes_of("GET / HTTP/1.1\r\n")).error(), wire::errc::bad_magic);
  EXPECT_EQ(wire::needed(bytes_of("SKXF\x02H")).error(), wire::errc::bad_version);
  EXPECT_EQ(wire::needed(bytes_of("SKXF\x01Q")).error(), wire::errc::bad_type);
  auto h = wire::encode(wire::file_header{0, 0, 0, {}, "x"});
  h[6] = std::byte{0x80};
  EXPECT_EQ(wire::needed(h).error(), wire::errc::bad_flags);
  h[6] = std::byte{4};  // the first bit no version knows
  EXPECT_EQ(wire::needed(h).error(), wire::errc::bad_flags);
  h[6] = std::byte{3};  // resume and hash after: both known
  EXPECT_TRUE(wire::needed(h));
  h[6] = std::byte{0};
  h[35] = std::byte{0x01};  // name length 256 + 1
  EXPECT_EQ(wire::needed(h).error(), wire::errc::name_too_long);
  h[35] = std::byte{0};
  h[36] = std::byte{0};  // empty name
  EXPECT_EQ(wire::needed(h).error(), wire::errc::name_too_long);
  auto e = wire::encode(wire::error_message{wire::error_code_class::protocol, "x"});
  e[6] = std::byte{9};
  EXPECT_EQ(wire::needed(e).error(), wire::errc::bad_error_code);
  e[6] = std::byte{1};
  e[7] = std::byte{0x10};  // text length 4096 + 1
  EXPECT_EQ(wire::needed(e).error(), wire::errc::text_too_long);
  EXPECT_FALSE(wire::make_error_code(wire::errc::bad_magic).message().empty());
}

}  // namespace
