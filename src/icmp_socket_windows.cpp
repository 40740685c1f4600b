// Windows: ping through the ICMP helper calls (IcmpSendEcho2, Icmp6SendEcho2), behind the same
// ping_socket interface as Linux's ICMP sockets (see sockit/icmp_socket.hpp).
//
// The helper calls are asynchronous only through an event or an APC, neither of which the event
// loop (WSAPoll, select, the AFD poll of the iocp engine) can wait on. So each ping_socket has a
// thread of its own: try_send queues the request and wakes it; the thread issues
// IcmpSendEcho2 with an APC and sleeps alertably, so the completions run on it; each completion
// becomes the ICMP message a Linux socket would have received (an echo reply carrying the
// caller's identifier, sequence and the echoed data, or an error quoting the request), queued
// for the caller with one byte sent to a UDP socket on 127.0.0.1 connected to itself, which is
// what the caller's loop watches.
//
//   loop thread                          sender thread
//   try_send ---- queue + SetEvent ----> IcmpSendEcho2(..., APC, request)
//                                        ... alertable wait: the APC runs here
//   readable <--- 1 byte to `sock` ----- reply -> ICMP message -> replies queue
//   try_receive: 1 byte, pop the message
#include "sockit/icmp_socket.hpp"

#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <winternl.h>
#include <iphlpapi.h>
#include <icmpapi.h>

#include "detail/net.hpp"
#include "detail/syscall.hpp"
#include "sockit/error.hpp"
#include "sockit/icmp.hpp"

namespace sockit::icmp {
namespace {

// Windows refuses more in one echo request (ping.exe's -l limit too).
constexpr std::size_t max_request_data = 65500;
// How long a request may stay unanswered before the call gives up on it; the caller has its own
// -W and counts a request with no reply as lost whatever this says.
constexpr DWORD reply_timeout_ms = 60000;
// At close: how long the thread waits for cancelled requests to complete before it leaves them.
constexpr DWORD close_wait_ms = 1000;
constexpr ULONG status_cancelled = 0xC0000120;  // STATUS_CANCELLED

// ICMPV6_ECHO_REPLY as the SDK lays it out (mingw-w64 lacks it): IPV6_ADDRESS_EX is packed
// (port 2, flow 4, address 16, scope 4 = 26 bytes), then Status and RoundTripTime aligned to 4;
// the echoed data follows.
constexpr std::size_t v6_reply_addr_at = 6;
constexpr std::size_t v6_reply_status_at = 28;
constexpr std::size_t v6_reply_size = 36;

void put_be16(std::vector<std::byte>& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::byte>(v >> 8);
  b[at + 1] = static_cast<std::byte>(v & 0xff);
}

std::int64_t realtime_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct request {
  echo_sender* owner = nullptr;
  std::uint16_t id = 0;
  std::uint16_t seq = 0;
  endpoint to;
  std::vector<std::byte> data;   // the payload to echo
  std::vector<std::byte> reply;  // the call writes ICMP_ECHO_REPLY / ICMPV6_ECHO_REPLY and data here
};

struct outcome {
  std::vector<std::byte> message;  // an ICMP message as a datagram ICMP socket receives it
  endpoint from;
  int ttl = -1;
  std::int64_t when_ns = 0;
};

// The ICMP error type and code a Linux socket would have received for a failed request's status;
// false for a status that means no answer (timed out, cancelled) or none of these.
bool error_type_for(int family, ULONG status, std::uint8_t& type, std::uint8_t& code) {
  bool v6 = family == AF_INET6;
  switch (status) {
    case IP_DEST_NET_UNREACHABLE: type = v6 ? v6_dest_unreachable : v4_dest_unreachable; code = 0; return true;
    case IP_DEST_HOST_UNREACHABLE: type = v6 ? v6_dest_unreachable : v4_dest_unreachable; code = v6 ? 3 : 1; return true;
    case IP_DEST_PROT_UNREACHABLE: type = v6 ? v6_dest_unreachable : v4_dest_unreachable; code = v6 ? 4 : 2; return true;
    case IP_DEST_PORT_UNREACHABLE: type = v6 ? v6_dest_unreachable : v4_dest_unreachable; code = v6 ? 4 : 3; return true;
    case IP_PACKET_TOO_BIG: type = v6 ? v6_packet_too_big : v4_dest_unreachable; code = v6 ? 0 : 4; return true;
    case IP_TTL_EXPIRED_TRANSIT: type = v6 ? v6_time_exceeded : v4_time_exceeded; code = 0; return true;
    case IP_TTL_EXPIRED_REASSEM: type = v6 ? v6_time_exceeded : v4_time_exceeded; code = 1; return true;
    default: return false;
  }
}

// An ICMP error quoting our request as the network would have: the request's IP header (only
// what icmp::parse reads: version, protocol, destination) and its first 8 bytes.
std::vector<std::byte> quoting_error(const request& r, std::uint8_t type, std::uint8_t code) {
  bool v6 = r.to.is_v6();
  std::size_t ip = v6 ? 40 : 20;
  std::vector<std::byte> m(header_size + ip + header_size);
  m[0] = static_cast<std::byte>(type);
  m[1] = static_cast<std::byte>(code);
  auto q = header_size;
  if (v6) {
    m[q] = std::byte{0x60};
    m[q + 6] = static_cast<std::byte>(IPPROTO_ICMPV6);
    m[q + 7] = std::byte{64};
    std::memcpy(m.data() + q + 24, &reinterpret_cast<const sockaddr_in6*>(r.to.data())->sin6_addr, 16);
  } else {
    m[q] = std::byte{0x45};
    put_be16(m, q + 2, static_cast<std::uint16_t>(ip + header_size + r.data.size()));
    m[q + 8] = std::byte{64};
    m[q + 9] = static_cast<std::byte>(IPPROTO_ICMP);
    std::memcpy(m.data() + q + 16, &reinterpret_cast<const sockaddr_in*>(r.to.data())->sin_addr, 4);
  }
  auto e = q + ip;
  m[e] = static_cast<std::byte>(v6 ? v6_echo_request : v4_echo_request);
  put_be16(m, e + 4, r.id);
  put_be16(m, e + 6, r.seq);
  if (!v6) put_be16(m, 2, checksum(m));
  return m;
}

std::vector<std::byte> echo_reply(int family, std::uint16_t id, std::uint16_t seq, const void* data, std::size_t n) {
  std::vector<std::byte> m(header_size + n);
  m[0] = static_cast<std::byte>(family == AF_INET6 ? v6_echo_reply : v4_echo_reply);
  put_be16(m, 4, id);
  put_be16(m, 6, seq);
  if (n) std::memcpy(m.data() + header_size, data, n);
  // ICMPv6 checksums are never checked by parse (the kernel does it on Linux); IPv4's is, and the
  // helper call already verified the real one.
  if (family != AF_INET6) put_be16(m, 2, checksum(m));
  return m;
}

}  // namespace

struct echo_sender {
  int family = AF_INET;
  HANDLE icmp = INVALID_HANDLE_VALUE;
  HANDLE work = nullptr;  // auto-reset: requests queued, or stop
  SOCKET notify = INVALID_SOCKET;
  std::atomic<int> ttl{0};
  std::thread thread;

  std::mutex mu;
  std::deque<std::unique_ptr<request>> to_send;
  std::deque<outcome> replies;
  bool stopping = false;
  std::size_t outstanding = 0;  // the thread's own count of calls not completed

  ~echo_sender() {
    if (thread.joinable()) {
      {
        std::lock_guard lk(mu);
        stopping = true;
      }
      ::SetEvent(work);
      thread.join();
    }
    if (work) ::CloseHandle(work);
  }

  void run() {
    for (;;) {
      ::WaitForSingleObjectEx(work, INFINITE, TRUE);  // alertable: completions run here
      std::deque<std::unique_ptr<request>> batch;
      bool stop = false;
      {
        std::lock_guard lk(mu);
        batch.swap(to_send);
        stop = stopping;
      }
      if (stop) break;
      for (auto& r : batch) issue(std::move(r));
    }
    // Closing the handle cancels what is still pending; each cancelled call still completes (the
    // system writes into its request until then), so wait for them, bounded, and leave a request
    // that never completes allocated rather than free memory a late write could reach.
    ::IcmpCloseHandle(icmp);
    auto until = ::GetTickCount64() + close_wait_ms;
    while (outstanding > 0) {
      auto now = ::GetTickCount64();
      if (now >= until) break;
      ::SleepEx(static_cast<DWORD>(until - now), TRUE);
    }
  }

  static void NTAPI on_complete(void* ctx, IO_STATUS_BLOCK* iosb, ULONG) {
    std::unique_ptr<request> r(static_cast<request*>(ctx));
    auto* self = r->owner;
    --self->outstanding;
    if (static_cast<ULONG>(iosb->Status) == status_cancelled) return;
    self->completed(*r, realtime_ns());
  }

  void issue(std::unique_ptr<request> r) {
    IP_OPTION_INFORMATION opt{};
    opt.Ttl = static_cast<UCHAR>(ttl.load() ? ttl.load() : 128);  // 128: Windows' own default
    auto* raw = r.release();
    auto apc = reinterpret_cast<FARPROC>(reinterpret_cast<void*>(&on_complete));
    DWORD n = 0;
    if (family == AF_INET6) {
      sockaddr_in6 src{};
      src.sin6_family = AF_INET6;
      sockaddr_in6 dst{};
      std::memcpy(&dst, raw->to.data(), sizeof dst);
      n = ::Icmp6SendEcho2(icmp, nullptr, apc, raw, &src, &dst, raw->data.data(), static_cast<WORD>(raw->data.size()),
                           &opt, raw->reply.data(), static_cast<DWORD>(raw->reply.size()), reply_timeout_ms);
    } else {
      IPAddr dst = reinterpret_cast<const sockaddr_in*>(raw->to.data())->sin_addr.s_addr;
      n = ::IcmpSendEcho2(icmp, nullptr, apc, raw, dst, raw->data.data(), static_cast<WORD>(raw->data.size()), &opt,
                          raw->reply.data(), static_cast<DWORD>(raw->reply.size()), reply_timeout_ms);
    }
    DWORD err = n == 0 ? ::GetLastError() : ERROR_IO_PENDING;
    if (err == ERROR_IO_PENDING) {
      ++outstanding;
      return;
    }
    // Failed at once: no APC will come. An IP status (unreachable at once) is reported as the
    // reply would have been; anything else is a lost request.
    std::unique_ptr<request> own(raw);
    std::uint8_t type = 0, code = 0;
    if (error_type_for(family, err, type, code)) {
      push(outcome{quoting_error(*own, type, code), own->to, -1, realtime_ns()});
    }
  }

  void completed(const request& r, std::int64_t when) {
    outcome o;
    o.when_ns = when;
    ULONG status = IP_GENERAL_FAILURE;
    if (family == AF_INET6) {
      if (::Icmp6ParseReplies(const_cast<std::byte*>(r.reply.data()), static_cast<DWORD>(r.reply.size())) == 0 &&
          ::GetLastError() == IP_REQ_TIMED_OUT) {
        return;
      }
      std::memcpy(&status, r.reply.data() + v6_reply_status_at, sizeof status);
      sockaddr_in6 from{};
      from.sin6_family = AF_INET6;
      std::memcpy(&from.sin6_addr, r.reply.data() + v6_reply_addr_at, 16);
      if (auto e = endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&from), sizeof from)) o.from = *e;
      if (status == IP_SUCCESS) {
        // The echoed data follows the reply structure; as many bytes as were sent (the call
        // reports no size for ICMPv6).
        std::size_t n = std::min(r.data.size(), r.reply.size() - v6_reply_size);
        o.message = echo_reply(AF_INET6, r.id, r.seq, r.reply.data() + v6_reply_size, n);
      }
    } else {
      (void)::IcmpParseReplies(const_cast<std::byte*>(r.reply.data()), static_cast<DWORD>(r.reply.size()));
      ICMP_ECHO_REPLY rep{};
      std::memcpy(&rep, r.reply.data(), sizeof rep);
      status = rep.Status;
      sockaddr_in from{};
      from.sin_family = AF_INET;
      from.sin_addr.s_addr = rep.Address;
      if (auto e = endpoint::from_sockaddr(reinterpret_cast<const sockaddr*>(&from), sizeof from)) o.from = *e;
      if (status == IP_SUCCESS) {
        o.ttl = rep.Options.Ttl;
        // Data points into the reply buffer; trust it only as far as the buffer goes.
        auto* base = reinterpret_cast<const std::byte*>(r.reply.data());
        auto* data = static_cast<const std::byte*>(rep.Data);
        std::size_t n = 0;
        if (data >= base && data <= base + r.reply.size()) {
          n = std::min<std::size_t>(rep.DataSize, static_cast<std::size_t>(base + r.reply.size() - data));
        }
        o.message = echo_reply(AF_INET, r.id, r.seq, data, n);
      }
    }
    if (status != IP_SUCCESS) {
      std::uint8_t type = 0, code = 0;
      if (!error_type_for(family, status, type, code)) return;  // timed out: a lost request
      o.message = quoting_error(r, type, code);
      if (o.from.empty()) o.from = r.to;
    }
    push(std::move(o));
  }

  void push(outcome o) {
    {
      std::lock_guard lk(mu);
      replies.push_back(std::move(o));
    }
    char one = 1;
    ::send(notify, &one, 1, 0);
  }
};

const char* kind_name(socket_kind kind, int family) noexcept {
  switch (kind) {
    case socket_kind::raw: return "raw";
    case socket_kind::datagram: return "datagram";
    case socket_kind::echo_api: break;
  }
  return family == AF_INET6 ? "Icmp6SendEcho2" : "IcmpSendEcho2";
}

bool may_flood() noexcept { return false; }

std::size_t max_echo_payload(int) noexcept { return max_request_data; }

result<ping_socket> open_ping_socket(int family, socket_choice choice, std::uint16_t raw_id, bool filter) {
  (void)raw_id;  // the helper call picks the identifier on the wire
  (void)filter;
  if (choice != socket_choice::automatic) return make_error_code(errc::not_supported);
  if (family != AF_INET && family != AF_INET6) return std::make_error_code(std::errc::address_family_not_supported);
  ping_socket ps;
  ps.kind = socket_kind::echo_api;
  ps.family = family;
  // The socket the caller watches: non-blocking UDP on 127.0.0.1, connected to itself.
  auto s = socket::open(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK);
  if (!s) return s.error();
  if (auto ec = bind(*s, endpoint::loopback_v4(0))) return ec;
  auto me = s->local_endpoint();
  if (!me) return me.error();
  if (auto ec = detail::check_ec(
          [&] { return ::connect(static_cast<SOCKET>(s->native_handle()), me->data(), me->size()); })) {
    return ec;
  }
  auto sender = std::make_shared<echo_sender>();
  sender->family = family;
  sender->icmp = family == AF_INET6 ? ::Icmp6CreateFile() : ::IcmpCreateFile();
  if (sender->icmp == INVALID_HANDLE_VALUE) {
    DWORD err = ::GetLastError();
    if (err == ERROR_CALL_NOT_IMPLEMENTED || err == ERROR_NOT_SUPPORTED) return make_error_code(errc::not_supported);
    return std::error_code(static_cast<int>(err), winsock_category());
  }
  sender->work = ::CreateEventW(nullptr, FALSE, FALSE, nullptr);
  if (!sender->work) {
    auto ec = std::error_code(static_cast<int>(::GetLastError()), winsock_category());
    ::IcmpCloseHandle(sender->icmp);
    return ec;
  }
  sender->notify = static_cast<SOCKET>(s->native_handle());
  auto* sp = sender.get();
  sender->thread = std::thread([sp] { sp->run(); });
  ps.id = 1;  // any: the reply is built with the identifier of the request
  ps.sock = std::move(*s);
  ps.sender = std::move(sender);
  return ps;
}

std::string permission_hint(const std::string& program) {
  return program + " needs no privilege for IcmpSendEcho2; the system refused the ICMP handle";
}

std::error_code set_ttl(const ping_socket& s, int ttl) {
  if (ttl < 1 || ttl > 255) return std::make_error_code(std::errc::invalid_argument);
  if (!s.sender) return make_error_code(errc::not_supported);
  s.sender->ttl = ttl;
  return {};
}

result<std::size_t> try_send(const ping_socket& s, std::span<const std::byte> message, const endpoint& to) {
  if (!s.sender) return make_error_code(errc::not_supported);
  if (message.size() < header_size) return std::make_error_code(std::errc::invalid_argument);
  if (message.size() - header_size > max_request_data) return std::make_error_code(std::errc::message_size);
  if (to.family() != s.family) return std::make_error_code(std::errc::address_family_not_supported);
  auto r = std::make_unique<request>();
  r->owner = s.sender.get();
  r->id = static_cast<std::uint16_t>((std::to_integer<unsigned>(message[4]) << 8) | std::to_integer<unsigned>(message[5]));
  r->seq = static_cast<std::uint16_t>((std::to_integer<unsigned>(message[6]) << 8) | std::to_integer<unsigned>(message[7]));
  r->to = to;
  r->data.assign(message.begin() + header_size, message.end());
  r->data.reserve(1);  // -s 0: still a buffer to point at
  // Room for the reply structure, the echoed data, an ICMP error's 8 bytes and the
  // IO_STATUS_BLOCK an asynchronous call keeps there (Microsoft's documented minimum), plus IP
  // options.
  r->reply.resize(std::max(sizeof(ICMP_ECHO_REPLY), v6_reply_size) + r->data.size() + 8 + sizeof(IO_STATUS_BLOCK) + 40);
  {
    std::lock_guard lk(s.sender->mu);
    s.sender->to_send.push_back(std::move(r));
  }
  ::SetEvent(s.sender->work);
  return message.size();
}

result<received> try_receive(const ping_socket& s, std::span<std::byte> buffer) {
  if (!s.sender) return make_error_code(errc::not_supported);
  char byte = 0;
  auto n = detail::check_res([&] { return ::recv(static_cast<SOCKET>(s.sock.native_handle()), &byte, 1, 0); });
  if (!n) return n.error();
  outcome o;
  {
    std::lock_guard lk(s.sender->mu);
    if (s.sender->replies.empty()) return make_error_code(errc::would_block);
    o = std::move(s.sender->replies.front());
    s.sender->replies.pop_front();
  }
  received r;
  r.size = std::min(buffer.size(), o.message.size());
  r.truncated = r.size < o.message.size();
  if (r.size) std::memcpy(buffer.data(), o.message.data(), r.size);
  r.from = o.from;
  r.ttl = o.ttl;
  r.kernel_time_ns = o.when_ns;
  return r;
}

result<queued_error> try_receive_error(const ping_socket&, std::span<std::byte>) {
  return make_error_code(errc::not_supported);
}

std::error_code drop_privileges() { return {}; }

}  // namespace sockit::icmp
