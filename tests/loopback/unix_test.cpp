// Unix domain sockets on real files and abstract names: stream and datagram round trips, the
// stale-file rule (dead server replaced, live one refused, a non-socket kept), --mode applied
// with no wider moment, the file removed only while it is ours, SO_PEERCRED.
#include "sockit/unix.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sockit/error.hpp"
#include "sockit/io.hpp"
#include "sockit/options.hpp"
#include "test_support.hpp"

namespace sockit {
namespace {

using test::quick;

std::string text(std::span<const std::byte> b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// A fresh directory per test, removed with what is left in it.
class unix_sockets : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sockit-unix-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  unix_address at(const std::string& name) { return *unix_address::path(dir_ + "/" + name); }
  std::string dir_;
};

// A unique abstract name, so parallel runs never collide.
unix_address abstract_name(const char* what) {
  return *unix_address::abstract("sockit-test-" + std::to_string(::getpid()) + "-" + what);
}

void stream_round_trip(const unix_address& where) {
  unix_socket_file file;
  auto l = unix_listen(where, {}, &file);
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_EQ(file.empty(), !where.is_path());
  auto c = unix_connect(where, {.by = deadline::after(quick)});
  ASSERT_TRUE(c) << c.error().message();
  auto a = tcp_accept(*l);
  ASSERT_TRUE(a) << a.error().message();
  ASSERT_TRUE(send_all(*c, as_bytes("ping"), deadline::after(quick)));
  std::array<std::byte, 4> buf{};
  ASSERT_TRUE(recv_exact(*a, buf, deadline::after(quick)));
  EXPECT_EQ(text(buf), "ping");
  auto local = unix_local_address(*l);
  ASSERT_TRUE(local);
  EXPECT_EQ(*local, where);
  auto peer = unix_peer_address(*c);
  ASSERT_TRUE(peer);
  EXPECT_EQ(*peer, where);
  // Our own process on both ends.
  auto cred = peer_credentials(*a);
  ASSERT_TRUE(cred) << cred.error().message();
  EXPECT_EQ(cred->pid, ::getpid());
  EXPECT_EQ(cred->uid, ::getuid());
  EXPECT_EQ(cred->gid, ::getgid());
}

TEST_F(unix_sockets, stream_on_a_file) { stream_round_trip(at("s")); }

TEST_F(unix_sockets, stream_on_an_abstract_name) {
  auto name = abstract_name("stream");
  stream_round_trip(name);
  // No file anywhere, and the name is free again once the listener is closed.
  auto again = unix_listen(name);
  EXPECT_TRUE(again) << again.error().message();
}

TEST_F(unix_sockets, abstract_name_held_is_in_use) {
  auto name = abstract_name("held");
  auto l = unix_listen(name);
  ASSERT_TRUE(l);
  auto second = unix_listen(name);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error(), errc::unix_in_use);
}

TEST_F(unix_sockets, datagrams_both_ways_with_autobind) {
  auto where = at("d");
  auto server = unix_bind_datagram(where);
  ASSERT_TRUE(server) << server.error().message();
  auto client = unix_connect(where, {.type = SOCK_DGRAM});
  ASSERT_TRUE(client) << client.error().message();
  auto mine = unix_local_address(*client);
  ASSERT_TRUE(mine);
  EXPECT_TRUE(mine->is_abstract());  // the kernel's autobind name
  ASSERT_TRUE(try_send(*client, as_bytes("hello")));
  ASSERT_TRUE(wait_readable(server->native_handle(), deadline::after(quick)) == std::error_code{});
  std::array<std::byte, 64> buf{};
  auto d = try_unix_recv_from(*server, buf);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(text(std::span(buf).first(d->size)), "hello");
  EXPECT_EQ(d->from, *mine);
  ASSERT_TRUE(try_unix_send_to(*server, as_bytes("back"), d->from));
  ASSERT_TRUE(wait_readable(client->native_handle(), deadline::after(quick)) == std::error_code{});
  auto r = try_recv(*client, buf);
  ASSERT_TRUE(r);
  EXPECT_EQ(text(std::span(buf).first(*r)), "back");
  // Without autobind nobody can answer: the sender is unnamed.
  auto mute = unix_connect(where, {.type = SOCK_DGRAM, .autobind = false});
  ASSERT_TRUE(mute);
  ASSERT_TRUE(try_send(*mute, as_bytes("x")));
  ASSERT_TRUE(wait_readable(server->native_handle(), deadline::after(quick)) == std::error_code{});
  auto d2 = try_unix_recv_from(*server, buf);
  ASSERT_TRUE(d2);
  EXPECT_TRUE(d2->from.is_unnamed());
}

TEST_F(unix_sockets, stale_file_of_a_dead_server_is_replaced) {
  auto where = at("stale");
  {
    auto dead = unix_listen(where);  // no unix_socket_file: the file stays behind, as after a crash
    ASSERT_TRUE(dead);
  }
  ASSERT_TRUE(std::filesystem::exists(where.name()));
  unix_socket_file file;
  auto l = unix_listen(where, {}, &file);
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_TRUE(unix_connect(where));
  // Off: bind's own answer.
  {
    auto dead = unix_bind_datagram(at("stale-d"));
    ASSERT_TRUE(dead);
  }
  unix_listen_options keep;
  keep.replace_stale = false;
  auto refused = unix_bind_datagram(at("stale-d"), keep);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), std::errc::address_in_use);
  EXPECT_TRUE(unix_bind_datagram(at("stale-d")));
}

TEST_F(unix_sockets, live_server_is_refused) {
  auto where = at("live");
  auto l = unix_listen(where);
  ASSERT_TRUE(l);
  auto second = unix_listen(where);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error(), errc::unix_in_use);
  EXPECT_EQ(second.error(), std::errc::address_in_use);
  // A live socket of the other type is a live server too.
  auto d = unix_bind_datagram(where);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error(), errc::unix_in_use);
  // The probes were not connections: nothing waits to be accepted (a one-shot server would
  // have taken one as its client).
  ASSERT_FALSE(set_nonblocking(*l, true));
  auto none = tcp_accept(*l);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), errc::would_block);
  EXPECT_TRUE(unix_connect(where));  // and still serving
}

TEST_F(unix_sockets, a_file_that_is_not_a_socket_is_kept) {
  auto where = at("plain");
  { int fd = ::open(where.name().c_str(), O_CREAT | O_WRONLY, 0600); ASSERT_GE(fd, 0); ::close(fd); }
  auto l = unix_listen(where);
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error(), errc::not_a_socket_file);
  EXPECT_TRUE(std::filesystem::is_regular_file(where.name()));
  ASSERT_EQ(::mkdir((dir_ + "/adir").c_str(), 0700), 0);
  auto d = unix_listen(at("adir"));
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error(), errc::not_a_socket_file);
  EXPECT_TRUE(std::filesystem::is_directory(dir_ + "/adir"));
}

TEST_F(unix_sockets, mode_is_applied_and_never_wider) {
  for (unsigned mode : {0600u, 0660u, 0666u, 0700u}) {
    auto where = at("m" + std::to_string(mode));
    unix_listen_options o;
    o.mode = mode;
    unix_socket_file file;
    // A umask that would take bits asked for (0666 & ~027 = 0640): they are added back.
    mode_t old = ::umask(027);
    auto l = unix_listen(where, o, &file);
    ::umask(old);
    ASSERT_TRUE(l) << l.error().message();
    struct stat st {};
    ASSERT_EQ(::lstat(where.name().c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, mode) << std::oct << mode;
  }
}

TEST_F(unix_sockets, file_removed_only_while_it_is_ours) {
  auto where = at("own");
  {
    unix_socket_file file;
    auto l = unix_listen(where, {}, &file);
    ASSERT_TRUE(l);
    EXPECT_EQ(file.path(), where.name());
  }
  EXPECT_FALSE(std::filesystem::exists(where.name()));
  // Someone replaced it with their own file: left alone.
  unix_socket_file file;
  auto l = unix_listen(where, {}, &file);
  ASSERT_TRUE(l);
  ASSERT_EQ(::unlink(where.name().c_str()), 0);
  { int fd = ::open(where.name().c_str(), O_CREAT | O_WRONLY, 0600); ASSERT_GE(fd, 0); ::close(fd); }
  EXPECT_FALSE(file.remove());
  EXPECT_TRUE(std::filesystem::is_regular_file(where.name()));
}

TEST_F(unix_sockets, connect_errors) {
  auto none = unix_connect(at("missing"));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), std::errc::no_such_file_or_directory);
  {
    auto dead = unix_listen(at("dead"));
    ASSERT_TRUE(dead);
  }
  auto refused = unix_connect(at("dead"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), std::errc::connection_refused);
  auto d = unix_bind_datagram(at("dgram"));
  ASSERT_TRUE(d);
  auto wrong = unix_connect(at("dgram"));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error(), std::errc::wrong_protocol_type);
}

TEST_F(unix_sockets, full_backlog_times_out_at_the_deadline) {
  unix_listen_options o;
  o.backlog = 0;
  auto where = at("full");
  auto l = unix_listen(where, o);
  ASSERT_TRUE(l);
  std::vector<socket> held;
  std::error_code last;
  for (int i = 0; i < 8 && !last; ++i) {  // backlog 0 admits one or two, then EAGAIN
    auto c = unix_connect(where, {.by = deadline::after(std::chrono::milliseconds(50))});
    if (c) held.push_back(std::move(*c)); else last = c.error();
  }
  EXPECT_EQ(last, std::errc::timed_out);
}

TEST_F(unix_sockets, path_too_long_and_unwritable_directory) {
  EXPECT_EQ(unix_address::path(dir_ + "/" + std::string(200, 'x')).error(), errc::unix_path_too_long);
  if (::geteuid() == 0) return;  // root writes anywhere; the CLI interop test covers the message
  ASSERT_EQ(::mkdir((dir_ + "/ro").c_str(), 0500), 0);
  auto l = unix_listen(at("ro/s"));
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error(), std::errc::permission_denied);
}

}  // namespace
}  // namespace sockit
