// Endpoint text parsing (good and hostile input), port parsing, numeric resolution and formatting.
// No test here sends a DNS query: hosts are numeric, empty, or "localhost" (from /etc/hosts).
#include "sockit/endpoint.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include <netinet/in.h>

#include "sockit/error.hpp"

namespace sockit {
namespace {

struct good_case {
  std::string text;
  std::string host;
  std::uint16_t port;
};

void PrintTo(const good_case& c, std::ostream* os) { *os << "'" << c.text << "'"; }

class parse_good : public ::testing::TestWithParam<good_case> {};

TEST_P(parse_good, splits_host_and_port) {
  const auto& c = GetParam();
  auto r = parse_host_port(c.text);
  ASSERT_TRUE(r) << "'" << c.text << "': " << r.error().message();
  EXPECT_EQ(r->host, c.host);
  EXPECT_EQ(r->port, c.port);
}

INSTANTIATE_TEST_SUITE_P(
    endpoint, parse_good,
    ::testing::Values(good_case{"example.com:80", "example.com", 80}, good_case{"127.0.0.1:7", "127.0.0.1", 7},
                      good_case{"[::1]:8080", "::1", 8080}, good_case{"[fe80::1%lo]:22", "fe80::1%lo", 22},
                      good_case{"[::]:0", "::", 0}, good_case{":9000", "", 9000}, good_case{"9000", "", 9000},
                      good_case{"0", "", 0}, good_case{"65535", "", 65535}, good_case{"host-name_1:1", "host-name_1", 1},
                      good_case{"localhost:65535", "localhost", 65535}),
    [](const auto& info) { return "case" + std::to_string(info.index); });

struct bad_case {
  std::string text;
  errc expected;
};

void PrintTo(const bad_case& c, std::ostream* os) { *os << "'" << c.text.substr(0, 40) << "'"; }

class parse_bad : public ::testing::TestWithParam<bad_case> {};

TEST_P(parse_bad, is_refused_with_the_right_error) {
  const auto& c = GetParam();
  auto r = parse_host_port(c.text);
  ASSERT_FALSE(r) << "'" << c.text << "' parsed as host='" << r->host << "' port=" << r->port;
  EXPECT_EQ(r.error(), make_error_code(c.expected)) << "'" << c.text << "': " << r.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    endpoint, parse_bad,
    ::testing::Values(
        bad_case{"", errc::bad_address}, bad_case{"[::1]", errc::bad_address}, bad_case{"::1:80", errc::bad_address},
        bad_case{"::1", errc::bad_address}, bad_case{"1.2.3.4:70000", errc::bad_port},
        bad_case{"1.2.3.4:65536", errc::bad_port}, bad_case{"host:", errc::bad_port}, bad_case{":", errc::bad_port},
        bad_case{"[]:80", errc::bad_host}, bad_case{"[x:80", errc::bad_address}, bad_case{"[::1]80", errc::bad_address},
        bad_case{"[::1]:", errc::bad_port}, bad_case{" 80", errc::bad_port}, bad_case{"80 ", errc::bad_port},
        bad_case{"host :80", errc::bad_host}, bad_case{"ho st:80", errc::bad_host},
        bad_case{"host: 80", errc::bad_port}, bad_case{std::string("ho\nst:80"), errc::bad_host},
        bad_case{std::string("host:8\x00" "0", 8), errc::bad_port}, bad_case{std::string("h\x01:80"), errc::bad_host},
        bad_case{"\x7f:1", errc::bad_host}, bad_case{"host:-1", errc::bad_port}, bad_case{"host:+80", errc::bad_port},
        bad_case{"host:0x50", errc::bad_port}, bad_case{"host:http", errc::bad_port}, bad_case{"[1.2.3.4]:80", errc::bad_host},
        bad_case{std::string(300, 'a') + ":80", errc::bad_host}, bad_case{"a:" + std::string(100000, '9'), errc::bad_port},
        bad_case{"[" + std::string(5000, ':') + "]:1", errc::bad_host}, bad_case{"h\xc3\xa9:80", errc::bad_host}),
    [](const auto& info) { return "case" + std::to_string(info.index); });

TEST(endpoint, very_long_text_is_refused_not_crashed) {
  std::string huge(1 << 20, 'x');
  EXPECT_FALSE(parse_host_port(huge));
  EXPECT_FALSE(parse_host_port(huge + ":80"));
  EXPECT_FALSE(parse_host_port("[" + huge + "]:80"));
}

// Names come from /etc/services (Debian's netbase, which scripts/deps.sh installs).
TEST(endpoint, service_names) {
  EXPECT_EQ(service_port("ssh", transport::tcp).value_or(0), 22);
  EXPECT_EQ(service_port("domain", transport::udp).value_or(0), 53);
  EXPECT_EQ(service_port("www", transport::tcp).value_or(0), 80);  // an alias
  EXPECT_EQ(service_port("bootps", transport::udp).value_or(0), 67);
  for (auto [name, t] : {std::pair{"bootps", transport::tcp}, std::pair{"ssh", transport::udp},
                         std::pair{"nosuch", transport::tcp}, std::pair{"", transport::tcp},
                         std::pair{"22", transport::tcp}, std::pair{"ss h", transport::tcp},
                         std::pair{"ssh:", transport::tcp}}) {
    auto r = service_port(name, t);
    EXPECT_FALSE(r) << name;
    if (!r) EXPECT_EQ(r.error(), make_error_code(errc::unknown_service)) << name;
  }
  EXPECT_FALSE(service_port(std::string(100000, 'a'), transport::tcp));
  // A number is never looked up; digits out of range stay a bad port.
  EXPECT_EQ(parse_port("22", transport::udp).value_or(0), 22);
  EXPECT_EQ(parse_port("ssh", transport::tcp).value_or(0), 22);
  EXPECT_EQ(parse_port("70000", transport::tcp).error(), make_error_code(errc::bad_port));
  EXPECT_EQ(parse_port("nosuch", transport::tcp).error(), make_error_code(errc::unknown_service));
  EXPECT_FALSE(parse_port("ssh"));  // the plain parser takes numbers only
  auto hp = parse_host_port("localhost:http", transport::tcp);
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "localhost");
  EXPECT_EQ(hp->port, 80);
  hp = parse_host_port("[::1]:domain", transport::udp);
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->port, 53);
  hp = parse_host_port("ssh", transport::tcp);
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "");
  EXPECT_EQ(hp->port, 22);
  EXPECT_EQ(parse_host_port("localhost:nosuch", transport::tcp).error(), make_error_code(errc::unknown_service));
  EXPECT_EQ(parse_host_port("nosuch", transport::tcp).error(), make_error_code(errc::bad_address));
  EXPECT_EQ(parse_host_port("239.1.2.3", transport::udp).error(), make_error_code(errc::bad_address));
  EXPECT_FALSE(parse_host_port("localhost:http"));
}

TEST(endpoint, parse_port_edges) {
  struct {
    std::string text;
    int want;  // -1: refused
  } cases[] = {{"0", 0},      {"1", 1},       {"65535", 65535}, {"00080", 80}, {"65536", -1}, {"99999", -1},
               {"123456", -1}, {"", -1},      {"-0", -1},       {"+1", -1},    {" 1", -1},    {"1 ", -1},
               {"1a", -1},    {"0x10", -1},   {"4294967297", -1}, {std::string("1\0", 2), -1}};
  for (const auto& c : cases) {
    auto r = parse_port(c.text);
    if (c.want < 0) {
      EXPECT_FALSE(r) << "'" << c.text << "' gave " << (r ? *r : 0);
      if (!r) {
        EXPECT_EQ(r.error(), make_error_code(errc::bad_port));
      }
    } else {
      ASSERT_TRUE(r) << "'" << c.text << "'";
      EXPECT_EQ(*r, c.want) << c.text;
    }
  }
}

TEST(endpoint, resolve_numeric_v4_and_v6) {
  auto v4 = resolve("127.0.0.1", 80);
  ASSERT_TRUE(v4) << v4.error().message();
  ASSERT_EQ(v4->size(), 1u);
  EXPECT_TRUE(v4->front().is_v4());
  EXPECT_TRUE(v4->front().is_loopback());
  EXPECT_EQ(v4->front().port(), 80);
  EXPECT_EQ(v4->front(), endpoint::loopback_v4(80));

  auto v6 = resolve("::1", 443);
  ASSERT_TRUE(v6) << v6.error().message();
  ASSERT_EQ(v6->size(), 1u);
  EXPECT_EQ(v6->front(), endpoint::loopback_v6(443));
}

TEST(endpoint, resolve_family_filter_refuses_the_other_family) {
  resolve_options o;
  o.family = ip_family::v6;
  o.numeric_only = true;
  EXPECT_FALSE(resolve("127.0.0.1", 1, o));
  o.family = ip_family::v4;
  EXPECT_FALSE(resolve("::1", 1, o));
}

TEST(endpoint, resolve_empty_host_is_loopback_or_wildcard) {
  struct {
    bool passive;
    ip_family fam;
    endpoint want;
  } cases[] = {{false, ip_family::any, endpoint::loopback_v4(5)},
               {true, ip_family::any, endpoint::any_v4(5)},
               {false, ip_family::v6, endpoint::loopback_v6(5)},
               {true, ip_family::v6, endpoint::any_v6(5)}};
  for (const auto& c : cases) {
    resolve_options o;
    o.passive = c.passive;
    o.family = c.fam;
    auto r = resolve("", 5, o);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ(r->front(), c.want) << r->front().to_string() << " passive=" << c.passive;
    EXPECT_EQ(r->front().is_unspecified(), c.passive);
  }
}

TEST(endpoint, resolve_localhost_from_hosts_file) {
  resolve_options o;
  o.family = ip_family::v4;
  auto r = resolve("localhost", 7, o);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_FALSE(r->empty());
  for (const auto& e : *r) {
    EXPECT_TRUE(e.is_loopback()) << e.to_string();
    EXPECT_EQ(e.port(), 7);
  }
}

TEST(endpoint, numeric_only_never_resolves_a_name) {
  auto r = endpoint::numeric("localhost", 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().category(), resolver_category());
}

TEST(endpoint, resolve_refuses_malformed_hosts_before_any_resolver) {
  for (const char* h : {"a b", "bad\nhost", "x/y", "[::1]"}) {
    auto r = resolve(h, 1);
    ASSERT_FALSE(r) << h;
    EXPECT_EQ(r.error(), make_error_code(errc::bad_host)) << h;
  }
}

// inet_aton's shorthand and anything else that only looks like an IPv4 address is refused as a
// malformed host, never resolved (numeric or not) and never sent to DNS.
TEST(endpoint, numeric_looking_hosts_must_be_strict_dotted_quads) {
  for (const char* h : {"1.2.3", "127.1", "0x7f.1", "0x7f000001", "2130706433", "1.2.3.4.5", "01.2.3.4",
                        "127.0.0.01", "999.1.1.1", "1.2.3.256", "1..2.3", "1.2.3.4.", "1:2:zz", "::1::2",
                        "1.2.3.4%lo"}) {
    for (bool numeric_only : {false, true}) {
      resolve_options o;
      o.numeric_only = numeric_only;
      auto r = resolve(h, 1, o);
      ASSERT_FALSE(r) << h << " gave " << r->front().to_string();
      EXPECT_EQ(r.error(), make_error_code(errc::bad_host)) << h << ": " << r.error().message();
    }
    auto e = endpoint::numeric(h, 1);
    ASSERT_FALSE(e) << h;
    EXPECT_EQ(e.error(), make_error_code(errc::bad_host)) << h;
  }
  // The strict forms still work, and a good address of the wrong family is not "malformed".
  for (const char* h : {"1.2.3.4", "0.0.0.0", "255.255.255.255", "10.0.0.10", "::1", "::ffff:1.2.3.4"}) {
    EXPECT_TRUE(endpoint::numeric(h, 1)) << h;
  }
  resolve_options v4;
  v4.family = ip_family::v4;
  auto r = resolve("::1", 1, v4);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error(), make_error_code(errc::bad_host));
}

TEST(endpoint, formatting_round_trips_through_the_parser) {
  const char* hosts[] = {"127.0.0.1", "10.1.2.3", "0.0.0.0", "::1", "::", "2001:db8::42", "::ffff:127.0.0.1"};
  for (const char* h : hosts) {
    for (std::uint16_t port : {0, 1, 7, 65535}) {
      auto e = endpoint::numeric(h, port);
      ASSERT_TRUE(e) << h;
      auto text = e->to_string();
      auto hp = parse_host_port(text);
      ASSERT_TRUE(hp) << text;
      EXPECT_EQ(hp->port, port);
      auto back = endpoint::numeric(hp->host, hp->port);
      ASSERT_TRUE(back) << text;
      EXPECT_EQ(*back, *e) << text;
    }
  }
  EXPECT_EQ(endpoint::loopback_v4(80).to_string(), "127.0.0.1:80");
  EXPECT_EQ(endpoint::loopback_v6(80).to_string(), "[::1]:80");
  EXPECT_EQ(endpoint::loopback_v6(80).address(), "::1");
  EXPECT_EQ(endpoint{}.to_string(), "(none)");
}

TEST(endpoint, scope_id_survives_formatting) {
  auto e = endpoint::numeric("fe80::1%lo", 9);
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(e->to_string(), "[fe80::1%lo]:9");
  auto hp = parse_host_port(e->to_string());
  ASSERT_TRUE(hp);
  auto back = endpoint::numeric(hp->host, hp->port);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, *e);
}

TEST(endpoint, properties) {
  endpoint none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.family(), AF_UNSPEC);
  EXPECT_EQ(none.size(), 0u);
  EXPECT_EQ(none.port(), 0);

  auto v4 = endpoint::any_v4(1);
  EXPECT_TRUE(v4.is_v4());
  EXPECT_TRUE(v4.is_unspecified());
  EXPECT_FALSE(v4.is_loopback());
  EXPECT_EQ(v4.size(), sizeof(sockaddr_in));
  v4.set_port(4242);
  EXPECT_EQ(v4.port(), 4242);

  auto v6 = endpoint::loopback_v6(2);
  EXPECT_TRUE(v6.is_v6());
  EXPECT_TRUE(v6.is_loopback());
  EXPECT_FALSE(v6.is_unspecified());
  EXPECT_EQ(v6.size(), sizeof(sockaddr_in6));

  auto mapped = endpoint::numeric("::ffff:127.0.0.2", 1);
  ASSERT_TRUE(mapped);
  EXPECT_TRUE(mapped->is_loopback());
  auto other = endpoint::numeric("127.255.0.1", 1);
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->is_loopback());

  EXPECT_NE(endpoint::loopback_v4(1), endpoint::loopback_v4(2));
  EXPECT_NE(endpoint::loopback_v4(1), endpoint::loopback_v6(1));
}

TEST(endpoint, a_v4_mapped_endpoint_unmaps_to_the_ipv4_host) {
  auto mapped = endpoint::numeric("::ffff:10.1.2.3", 8080);
  ASSERT_TRUE(mapped);
  EXPECT_TRUE(mapped->is_v4_mapped());
  auto v4 = mapped->unmapped();
  EXPECT_TRUE(v4.is_v4());
  EXPECT_EQ(v4.to_string(), "10.1.2.3:8080");
  EXPECT_EQ(v4, *endpoint::numeric("10.1.2.3", 8080));
  for (const char* other : {"::1", "10.1.2.3", "::ffff:0:a01:203", "64:ff9b::a01:203"}) {
    auto e = endpoint::numeric(other, 9);
    ASSERT_TRUE(e) << other;
    EXPECT_FALSE(e->is_v4_mapped()) << other;
    EXPECT_EQ(e->unmapped(), *e) << other;
  }
  EXPECT_TRUE(endpoint().unmapped().empty());
}

TEST(endpoint, the_mapped_unspecified_address_is_unspecified) {
  auto mapped_any = endpoint::numeric("::ffff:0.0.0.0", 1);
  ASSERT_TRUE(mapped_any);
  EXPECT_TRUE(mapped_any->is_unspecified());
  auto mapped_host = endpoint::numeric("::ffff:0.0.0.1", 1);
  ASSERT_TRUE(mapped_host);
  EXPECT_FALSE(mapped_host->is_unspecified());
  EXPECT_TRUE(endpoint::numeric("::", 1)->is_unspecified());
}

// Equality is the peer (address, port, IPv6 scope), not the sockaddr's bytes: padding and a flow
// label do not make two endpoints differ.
TEST(endpoint, equality_ignores_padding_and_flow_label) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(7);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sockaddr_in dirty = sin;
  dirty.sin_zero[3] = 0x55;
  auto a = endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&sin), sizeof sin);
  auto b = endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&dirty), sizeof dirty);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);

  sockaddr_in6 six{};
  six.sin6_family = AF_INET6;
  six.sin6_port = htons(7);
  six.sin6_addr = in6addr_loopback;
  sockaddr_in6 labelled = six;
  labelled.sin6_flowinfo = htonl(0x12345);
  sockaddr_in6 scoped = six;
  scoped.sin6_scope_id = 2;
  sockaddr_in6 other_port = six;
  other_port.sin6_port = htons(8);
  auto x = endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&six), sizeof six);
  auto y = endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&labelled), sizeof labelled);
  auto z = endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&scoped), sizeof scoped);
  auto w = endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&other_port), sizeof other_port);
  ASSERT_TRUE(x && y && z && w);
  EXPECT_EQ(*x, *y);
  EXPECT_NE(*x, *z);
  EXPECT_NE(*x, *w);
  EXPECT_NE(*a, *x);
  EXPECT_EQ(endpoint(), endpoint());
}

TEST(endpoint, from_sockaddr_refuses_other_families_and_short_lengths) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  EXPECT_FALSE(endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&sin), sizeof sin - 1));
  EXPECT_TRUE(endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&sin), sizeof sin));
  sockaddr un{};
  un.sa_family = AF_UNIX;
  EXPECT_FALSE(endpoint::from_sockaddr(&un, sizeof un));
  EXPECT_FALSE(endpoint::from_sockaddr(nullptr, 0));
}

}  // namespace
}  // namespace sockit
