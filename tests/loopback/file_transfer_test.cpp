// The pieces under send/recv on real files and loopback TCP: sendfile into a socket, splice from
// a socket into a file, hashing file ranges, and the partial file's lock, rename and cleanup.
#include <gtest/gtest.h>

#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sockit/file_hash.hpp"
#include "sockit/io.hpp"
#include "sockit/options.hpp"
#include "sockit/part_file.hpp"
#include "sockit/sendfile.hpp"
#include "sockit/socket_to_file.hpp"
#include "sockit/wait.hpp"
#include "test_support.hpp"

namespace {

using namespace sockit;
using namespace sockit::test;

struct temp_dir {
  std::string path;
  temp_dir() {
    char tmpl[] = "/tmp/sockit-file-transfer-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_dir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string operator/(std::string_view n) const { return path + "/" + std::string(n); }
};

int write_file(const std::string& path, const std::vector<std::byte>& data) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  EXPECT_GE(fd, 0);
  EXPECT_TRUE(write_all(fd, data).ok());
  return fd;
}

std::vector<std::byte> read_file(const std::string& path) {
  std::vector<std::byte> out;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  std::byte buf[65536];
  for (;;) {
    auto n = try_read(fd, buf);
    if (!n) break;
    out.insert(out.end(), buf, buf + *n);
  }
  ::close(fd);
  return out;
}

// Moves everything `from` delivers until its EOF into `dst`, counting it in `got`.
void move_until_eof(socket_to_file& pipe, const sockit::socket& from, int dst, std::uint64_t& got) {
  auto until = deadline::after(quick);
  for (;;) {
    auto n = pipe.try_move(from, dst, 1 << 20);
    if (n) {
      got += *n;
      continue;
    }
    if (n.error() == errc::end_of_stream) return;
    ASSERT_EQ(n.error(), errc::would_block) << n.error().message();
    ASSERT_FALSE(wait_readable(from.native_handle(), until));
  }
}

TEST(file_transfer, sendfile_then_splice_moves_a_file_byte_exact) {
  temp_dir d;
  auto data = random_bytes(5 * 1024 * 1024 + 123, 7);
  int src = write_file(d / "src", data);
  int dst = ::open((d / "dst").c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(dst, 0);
  auto [a, b] = tcp_pair();
  ASSERT_FALSE(set_nonblocking(a, true));
  ASSERT_FALSE(set_nonblocking(b, true));
  std::thread sender([&, &a = a] {
    std::uint64_t off = 0;
    auto t = send_file(a, src, off, data.size(), deadline::after(quick));
    EXPECT_TRUE(t.ok()) << t.ec.message();
    EXPECT_EQ(t.bytes, data.size());
    EXPECT_EQ(off, data.size());
    (void)a.shutdown(shutdown_how::write);
  });
  auto pipe = socket_to_file::open();
  ASSERT_TRUE(pipe) << pipe.error().message();
  EXPECT_GE(pipe->pipe_bytes(), 4096u);
  std::uint64_t got = 0;
  move_until_eof(*pipe, b, dst, got);
  sender.join();
  EXPECT_EQ(got, data.size());
  EXPECT_EQ(read_file(d / "dst"), data);
  // Three ways to hash the same bytes agree.
  xxh3_128 by_read, by_map;
  EXPECT_FALSE(hash_file_range(dst, 0, data.size(), by_read));
  EXPECT_FALSE(hash_mapped_range(dst, 0, data.size(), by_map));
  EXPECT_EQ(by_read.digest(), xxh3_128_of(data));
  EXPECT_EQ(by_map.digest(), xxh3_128_of(data));
  // A range in two pieces, the second not page aligned.
  xxh3_128 pieces;
  EXPECT_FALSE(hash_mapped_range(dst, 0, 1000, pieces));
  EXPECT_FALSE(hash_mapped_range(dst, 1000, data.size() - 1000, pieces));
  EXPECT_EQ(pieces.digest(), xxh3_128_of(data));
  // Past the end: an error, not a crash.
  xxh3_128 past;
  EXPECT_EQ(hash_file_range(dst, 0, data.size() + 1, past), errc::end_of_stream);
  ::close(src);
  ::close(dst);
}

// recv --copy splice's hash: a thread reading the page cache behind the writer, through a
// descriptor of its own.
TEST(file_transfer, a_hash_follower_hashes_what_the_writer_hands_it_on_its_own_descriptor) {
  temp_dir d;
  auto data = random_bytes(3 * 8 * 1024 * 1024 + 12345, 17);
  xxh3_128 whole;
  whole.update(data);
  xxh3_128 prefix;
  prefix.update(std::span<const std::byte>(data).first(1000));
  int fd = ::open((d / "f").c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(write_all(fd, std::span<const std::byte>(data).first(1000)).ok());
  // From byte 1000 on, written in pieces, each handed over as it lands; the caller's descriptor
  // closes before the end: the follower reads through its own.
  auto f = file_hash_follower::start(fd, 1000, prefix);
  ASSERT_TRUE(f) << describe("start", f.error());
  std::size_t at = 1000;
  while (at < data.size()) {
    std::size_t n = std::min<std::size_t>(5 * 1024 * 1024 + 7, data.size() - at);
    ASSERT_TRUE(write_all(fd, std::span<const std::byte>(data).subspan(at, n)).ok());
    at += n;
    (*f)->advance(at);
  }
  ::close(fd);
  xxh3_128 got;
  EXPECT_FALSE((*f)->finish(got));
  EXPECT_EQ(got.digest(), whole.digest());
  // Dropped mid-way (a failed transfer): it stops without finishing, nothing waits for it.
  fd = ::open((d / "f").c_str(), O_RDONLY | O_CLOEXEC);
  auto g = file_hash_follower::start(fd, 0, xxh3_128{});
  ASSERT_TRUE(g);
  (*g)->advance(data.size());
  g->reset();
  // Told about bytes the file does not have: an error, not a crash.
  auto h = file_hash_follower::start(fd, 0, xxh3_128{});
  ASSERT_TRUE(h);
  (*h)->advance(data.size() + 1);
  xxh3_128 untouched;
  EXPECT_TRUE((*h)->finish(untouched));
  ::close(fd);
}

// A file that refuses splice (O_APPEND does, as a file system without splice_write would) still
// gets every byte: socket_to_file copies through a buffer from then on, the pipe's bytes first.
TEST(file_transfer, splice_refused_by_the_file_falls_back_to_copying) {
  temp_dir d;
  auto data = random_bytes(3 * 1024 * 1024 + 77, 11);
  const std::vector<std::byte> head(100, std::byte{'h'});
  int dst = write_file(d / "dst", head);
  ::close(dst);
  dst = ::open((d / "dst").c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  ASSERT_GE(dst, 0);
  auto [a, b] = tcp_pair();
  ASSERT_FALSE(set_nonblocking(b, true));
  std::thread sender([&, &a = a] {
    auto t = send_all(a, data, deadline::after(quick));
    EXPECT_TRUE(t.ok()) << t.ec.message();
    (void)a.shutdown(shutdown_how::write);
  });
  auto pipe = socket_to_file::open();
  ASSERT_TRUE(pipe) << pipe.error().message();
  EXPECT_FALSE(pipe->copying());
  std::uint64_t got = 0;
  move_until_eof(*pipe, b, dst, got);
  sender.join();
  ::close(dst);
  EXPECT_TRUE(pipe->copying());
  EXPECT_EQ(got, data.size());
  auto want = head;
  want.insert(want.end(), data.begin(), data.end());
  EXPECT_EQ(read_file(d / "dst"), want);
}

TEST(file_transfer, sendfile_of_a_short_file_says_end_of_stream) {
  temp_dir d;
  int src = write_file(d / "src", random_bytes(10, 1));
  auto [a, b] = tcp_pair();
  std::uint64_t off = 0;
  auto t = send_file(a, src, off, 20, deadline::after(quick));
  EXPECT_EQ(t.bytes, 10u);
  EXPECT_EQ(t.ec, errc::end_of_stream);
  ::close(src);
}

TEST(part_file, commit_renames_with_the_mode_and_never_replaces_unless_asked) {
  temp_dir d;
  auto dir = part_file::open_directory(d.path);
  ASSERT_TRUE(dir) << dir.error().message();
  ASSERT_FALSE(dir->open_part("f.txt", false));
  EXPECT_EQ(dir->part_name(), ".f.txt.sockit-part");
  struct stat st {};
  ASSERT_EQ(::stat((d / ".f.txt.sockit-part").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(write_all(dir->fd(), as_bytes("hello")).ok());
  EXPECT_FALSE(*dir->target_exists("f.txt"));
  ASSERT_FALSE(dir->commit(0640, false));
  ASSERT_EQ(::stat((d / "f.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  EXPECT_EQ(st.st_size, 5);
  EXPECT_NE(::access((d / ".f.txt.sockit-part").c_str(), F_OK), 0);
  EXPECT_TRUE(*dir->target_exists("f.txt"));
  // Again without replace: EEXIST, and the old file stays.
  ASSERT_FALSE(dir->open_part("f.txt", false));
  EXPECT_TRUE(write_all(dir->fd(), as_bytes("new!!!")).ok());
  EXPECT_EQ(dir->commit(0600, false), std::errc::file_exists);
  EXPECT_EQ(read_file(d / "f.txt").size(), 5u);
  ASSERT_FALSE(dir->discard());
  EXPECT_NE(::access((d / ".f.txt.sockit-part").c_str(), F_OK), 0);
  // With replace.
  ASSERT_FALSE(dir->open_part("f.txt", false));
  EXPECT_TRUE(write_all(dir->fd(), as_bytes("newer")).ok());
  ASSERT_FALSE(dir->commit(0600, true));
  EXPECT_EQ(read_file(d / "f.txt"), std::vector<std::byte>(as_bytes("newer").begin(), as_bytes("newer").end()));
}

TEST(part_file, keep_resumes_lock_refuses_a_second_and_symlinks_are_not_followed) {
  temp_dir d;
  auto dir = part_file::open_directory(d.path);
  ASSERT_TRUE(dir);
  ASSERT_FALSE(dir->open_part("g", false));
  EXPECT_TRUE(write_all(dir->fd(), as_bytes("0123456789")).ok());
  auto other = part_file::open_directory(d.path);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->open_part("g", true), std::errc::device_or_resource_busy);
  dir->close_part();
  ASSERT_FALSE(other->open_part("g", true));
  EXPECT_EQ(other->size_at_open(), 10u);
  EXPECT_TRUE(write_all(other->fd(), as_bytes("ab")).ok());  // appended at the end
  other->close_part();
  ASSERT_FALSE(other->open_part("g", false));  // keep = false empties it
  EXPECT_EQ(other->size_at_open(), 0u);
  ASSERT_FALSE(other->discard());
  // A symlink planted under the partial name is not followed.
  ASSERT_EQ(::symlink("/etc/passwd", (d / ".h.sockit-part").c_str()), 0);
  EXPECT_EQ(dir->open_part("h", false), std::errc::too_many_symbolic_link_levels);
  EXPECT_EQ(part_file::open_directory(d / "missing").error(), std::errc::no_such_file_or_directory);
}

}  // namespace
