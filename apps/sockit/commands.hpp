// The table of subcommands: each cmd_<name>.cpp defines one setup function that adds its options
// to the subcommand and sets its callback.
#pragma once

#include "cli_fwd.hpp"

#include "cli.hpp"

namespace sockit::cli {

void setup_connect(CLI::App& cmd, context& ctx);
void setup_listen(CLI::App& cmd, context& ctx);
void setup_echo(CLI::App& cmd, context& ctx);
void setup_udp(CLI::App& cmd, context& ctx);
void setup_probe(CLI::App& cmd, context& ctx);
void setup_serve(CLI::App& cmd, context& ctx);
void setup_bench(CLI::App& cmd, context& ctx);
void setup_proto(CLI::App& cmd, context& ctx);
void setup_mcast(CLI::App& cmd, context& ctx);
void setup_ping(CLI::App& cmd, context& ctx);
void setup_relay(CLI::App& cmd, context& ctx);
void setup_send(CLI::App& cmd, context& ctx);
void setup_recv(CLI::App& cmd, context& ctx);

struct command {
  const char* name;
  const char* summary;
  void (*setup)(CLI::App& cmd, context& ctx);
};

inline constexpr command commands[] = {
    {"serve", "Run the classic services (echo, discard, daytime, chargen) on one event loop", setup_serve},
    {"connect", "Netcat-style client: stdin to a TCP/UDP peer, the peer to stdout", setup_connect},
    {"listen", "Netcat-style server for one peer (or many in turn with -k)", setup_listen},
    {"echo", "RFC 862 echo server over TCP and UDP", setup_echo},
    {"udp", "Send a datagram and print the reply, or print datagrams as they arrive", setup_udp},
    {"probe", "Check which TCP ports accept connections, like nc -zv", setup_probe},
    {"proto", "The chapter's framed command protocol (ECHO/TIME/PING/QUIT): server and client", setup_proto},
    {"mcast", "Send to a multicast group, or join one and print what it carries (IPv4/IPv6, SSM)", setup_mcast},
    {"ping", "ICMP echo as iputils ping (raw or unprivileged socket), several hosts at once; --tcp/--udp timing", setup_ping},
    {"relay", "TCP/UDP port forwarder with splice(2), like socat TCP-LISTEN:... TCP:...; delay, rate, loss on demand", setup_relay},
    {"send", "Send files to sockit recv: header + sendfile body, XXH3-128 checked, acknowledged once synced", setup_send},
    {"recv", "Receive files from sockit send into a directory: atomic rename, --resume, --raw for nc", setup_recv},
    {"bench", "Load an echo server: messages/s, MB/s, latency percentiles, server CPU per message", setup_bench},
};

}  // namespace sockit::cli
