// The ICMP codec: RFC 1071 checksum against published vectors (odd lengths included), echo
// request encoding for v4 and v6, and the parser on replies, our own requests, errors quoting a
// request, and hostile input.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <netinet/in.h>

#include "sockit/icmp.hpp"

namespace {

using namespace sockit;

std::vector<std::byte> hex(std::string_view h) {
  std::vector<std::byte> out;
  std::string digits;
  for (char c : h) if (std::isxdigit(static_cast<unsigned char>(c))) digits += c;
  for (std::size_t i = 0; i + 1 < digits.size(); i += 2) {
    out.push_back(static_cast<std::byte>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// RFC 1071 section 3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2 (ones' complement).
TEST(icmp_checksum, rfc1071_example) {
  auto d = hex("0001 f203 f4f5 f6f7");
  EXPECT_EQ(icmp::sum(d), 0xddf2u);
  EXPECT_EQ(icmp::checksum(d), 0x220d);
}

// The IPv4 header example of the Internet checksum's Wikipedia article (published, checked by
// hand): 4500 0073 0000 4000 4011 [b861] c0a8 0001 c0a8 00c7.
TEST(icmp_checksum, ipv4_header_vector) {
  auto h = hex("4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7");
  EXPECT_EQ(icmp::checksum(h), 0xb861);
  h[10] = std::byte{0xb8};
  h[11] = std::byte{0x61};
  EXPECT_EQ(icmp::checksum(h), 0);  // an intact header sums to all ones
}

TEST(icmp_checksum, odd_lengths_pad_with_a_zero_byte) {
  EXPECT_EQ(icmp::checksum(hex("0001f2")), static_cast<std::uint16_t>(~0xf201 & 0xffff));
  EXPECT_EQ(icmp::checksum(hex("ff")), 0x00ff);
  EXPECT_EQ(icmp::checksum(hex("0001f203f4f5f6f7ab")), icmp::checksum(hex("0001f203f4f5f6f7ab00")));
  EXPECT_EQ(icmp::checksum({}), 0xffff);
}

TEST(icmp_checksum, carries_fold_back) {
  // 0xffff + 0xffff = 0x1fffe -> 0xffff: ones' complement addition, not modulo 2^16.
  EXPECT_EQ(icmp::sum(hex("ffff ffff")), 0xffffu);
  EXPECT_EQ(icmp::checksum(hex("ffff ffff")), 0);
  std::vector<std::byte> big(70000, std::byte{0xff});
  EXPECT_EQ(icmp::checksum(big), 0);
}

TEST(icmp_checksum, partial_sum_chains) {
  auto a = hex("0001 f203");
  auto b = hex("f4f5 f6f7");
  EXPECT_EQ(icmp::checksum(b, icmp::sum(a)), 0x220d);
}

TEST(icmp_encode, v4_echo_request_bytes) {
  auto m = icmp::encode_echo_request(AF_INET, 0x1234, 1, {});
  // 0x0800 + 0x1234 + 0x0001 = 0x1a35, complemented 0xe5ca; stored big-endian.
  EXPECT_EQ(m, hex("0800 e5ca 1234 0001"));
  auto p = hex("aaaa aaaa aa");
  auto m2 = icmp::encode_echo_request(AF_INET, 0xbeef, 0xffff, p);
  ASSERT_EQ(m2.size(), 13u);
  EXPECT_EQ(icmp::checksum(m2), 0);  // the payload is covered, odd length included
}

TEST(icmp_encode, v6_leaves_the_checksum_to_the_kernel) {
  auto m = icmp::encode_echo_request(AF_INET6, 7, 9, hex("0102"));
  EXPECT_EQ(m, hex("8000 0000 0007 0009 0102"));
}

// The chapter's request (id = pid, seq 1, 56 x 0xAA), but with the checksum stored the right way
// round; parse() accepts it and the byte-swapped one it sent is reported as damaged.
TEST(icmp_parse, chapter_request_checksum_byte_order) {
  std::vector<std::byte> payload(56, std::byte{0xaa});
  auto m = icmp::encode_echo_request(AF_INET, 0x0102, 1, payload);
  auto ok = icmp::parse(AF_INET, m, false);
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->checksum_ok);
  std::swap(m[2], m[3]);
  auto bad = icmp::parse(AF_INET, m, false);
  ASSERT_TRUE(bad);
  EXPECT_FALSE(bad->checksum_ok);
}

std::vector<std::byte> ipv4_header(std::size_t payload, std::uint8_t ttl, std::string_view src_dst_hex) {
  auto h = hex("4500 0000 0000 4000 0001 0000");
  h[8] = static_cast<std::byte>(ttl);
  auto total = 20 + payload;
  h[2] = static_cast<std::byte>(total >> 8);
  h[3] = static_cast<std::byte>(total & 0xff);
  auto a = hex(src_dst_hex);
  h.insert(h.end(), a.begin(), a.end());
  auto c = icmp::checksum(h);
  h[10] = static_cast<std::byte>(c >> 8);
  h[11] = static_cast<std::byte>(c & 0xff);
  return h;
}

TEST(icmp_parse, raw_v4_reply_with_ip_header) {
  auto reply = icmp::encode_echo_request(AF_INET, 0x4242, 3, hex("00112233"));
  reply[0] = std::byte{0};  // type 0, checksum redone
  reply[2] = reply[3] = std::byte{0};
  auto c = icmp::checksum(reply);
  reply[2] = static_cast<std::byte>(c >> 8);
  reply[3] = static_cast<std::byte>(c & 0xff);
  auto pkt = ipv4_header(reply.size(), 61, "7f000001 7f000001");
  pkt.insert(pkt.end(), reply.begin(), reply.end());
  auto m = icmp::parse(AF_INET, pkt, true);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->kind, icmp::message_kind::echo_reply);
  EXPECT_EQ(m->id, 0x4242);
  EXPECT_EQ(m->seq, 3);
  EXPECT_EQ(m->ttl, 61);
  EXPECT_TRUE(m->checksum_ok);
  EXPECT_EQ(m->payload.size(), 4u);
  EXPECT_EQ(m->icmp_size, 12u);
  // Our own request looped back is a request, not a reply.
  auto req = icmp::encode_echo_request(AF_INET, 0x4242, 3, hex("00112233"));
  auto pkt2 = ipv4_header(req.size(), 64, "7f000001 7f000001");
  pkt2.insert(pkt2.end(), req.begin(), req.end());
  auto r = icmp::parse(AF_INET, pkt2, true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, icmp::message_kind::echo_request);
}

TEST(icmp_parse, v4_time_exceeded_quotes_our_request) {
  // A router's time exceeded: its own IP header, ICMP 11/0, then our request's IP header (to
  // 10.0.2.2) and the first 8 bytes of our echo request.
  auto req = icmp::encode_echo_request(AF_INET, 0x0777, 42, hex("0102030405060708"));
  auto inner = ipv4_header(req.size(), 1, "0a000101 0a000202");
  inner.insert(inner.end(), req.begin(), req.begin() + 8);
  auto err = hex("0b00 0000 0000 0000");
  err.insert(err.end(), inner.begin(), inner.end());
  auto c = icmp::checksum(err);
  err[2] = static_cast<std::byte>(c >> 8);
  err[3] = static_cast<std::byte>(c & 0xff);
  auto pkt = ipv4_header(err.size(), 64, "0a000101 0a000101");
  pkt.insert(pkt.end(), err.begin(), err.end());
  auto m = icmp::parse(AF_INET, pkt, true);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->kind, icmp::message_kind::time_exceeded);
  EXPECT_TRUE(m->quoted_echo);
  EXPECT_EQ(m->id, 0x0777);
  EXPECT_EQ(m->seq, 42);
  EXPECT_EQ(m->quoted_destination.address(), "10.0.2.2");
  EXPECT_TRUE(m->checksum_ok);
  EXPECT_STREQ(icmp::describe(AF_INET, m->type, m->code), "Time to live exceeded");
  EXPECT_STREQ(icmp::describe(AF_INET, 3, 1), "Destination Host Unreachable");
}

TEST(icmp_parse, v6_reply_and_error) {
  auto r = hex("8100 0000 abcd 0005 cafe");
  auto m = icmp::parse(AF_INET6, r, false);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->kind, icmp::message_kind::echo_reply);
  EXPECT_EQ(m->id, 0xabcd);
  EXPECT_EQ(m->seq, 5);
  EXPECT_EQ(m->ttl, -1);
  // Destination unreachable (1/3) quoting a 40-byte IPv6 header to fd00::2 and our request.
  auto e = hex("0103 0000 0000 0000");
  auto ip6 = hex("6000 0000 0010 3a40 fd00 0000 0000 0000 0000 0000 0000 0001"
                 "fd00 0000 0000 0000 0000 0000 0000 0002");
  e.insert(e.end(), ip6.begin(), ip6.end());
  auto req = icmp::encode_echo_request(AF_INET6, 0xabcd, 6, hex("00000000 00000000"));
  e.insert(e.end(), req.begin(), req.end());
  auto me = icmp::parse(AF_INET6, e, false);
  ASSERT_TRUE(me);
  EXPECT_EQ(me->kind, icmp::message_kind::dest_unreachable);
  EXPECT_TRUE(me->quoted_echo);
  EXPECT_EQ(me->seq, 6);
  EXPECT_EQ(me->quoted_destination.address(), "fd00::2");
}

TEST(icmp_parse, quoted_request_from_the_error_queue) {
  auto req = icmp::encode_echo_request(AF_INET, 0x9999, 12, hex("0011"));
  auto m = icmp::parse_quoted_request(AF_INET, req);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->id, 0x9999);
  EXPECT_EQ(m->seq, 12);
  EXPECT_FALSE(icmp::parse_quoted_request(AF_INET6, req));  // a v4 request on a v6 socket
  EXPECT_FALSE(icmp::parse_quoted_request(AF_INET, hex("0800")));
}

TEST(icmp_parse, hostile_input_is_refused_not_read_past) {
  EXPECT_FALSE(icmp::parse(AF_INET, {}, false));
  EXPECT_FALSE(icmp::parse(AF_INET, hex("0000 0000 0000 00"), false));  // 7 bytes
  EXPECT_FALSE(icmp::parse(AF_INET, hex("4f00"), true));                 // header cut short
  auto h = ipv4_header(0, 64, "7f000001 7f000001");
  h[0] = std::byte{0x4f};  // IHL 60 bytes in a 20-byte buffer
  EXPECT_FALSE(icmp::parse(AF_INET, h, true));
  auto udp = ipv4_header(8, 64, "7f000001 7f000001");
  udp[9] = std::byte{17};
  udp.resize(28);
  EXPECT_FALSE(icmp::parse(AF_INET, udp, true));  // not ICMP
  // An error whose quoted part is truncated: still parsed, nothing quoted.
  auto e = hex("0b00 f4ff 0000 0000 4500");
  auto m = icmp::parse(AF_INET, e, false);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->kind, icmp::message_kind::time_exceeded);
  EXPECT_FALSE(m->quoted_echo);
}

}  // namespace
