// asio_echo: asio's own example async_tcp_echo_server.cpp (cpp11/echo), kept in that shape on purpose: one
// session per connection with a 1 KiB buffer, async_read_some then async_write then read again.
// Bench-only, built against Debian's standalone asio (libasio-dev); never linked into sockit.
//
//   usage: asio_echo PORT        (binds 127.0.0.1:PORT; exits 0 on SIGINT/SIGTERM)
//
// Departures from the example, none on the per-message path: binds 127.0.0.1 instead of every address, and
// a signal_set stops the io_context on SIGINT/SIGTERM. Like the example: no TCP_NODELAY.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>

#include <asio.hpp>

using asio::ip::tcp;

class session : public std::enable_shared_from_this<session> {
public:
    explicit session(tcp::socket socket) : socket_(std::move(socket)) {}

    void start() { do_read(); }

private:
    void do_read()
    {
        auto self(shared_from_this());
        socket_.async_read_some(asio::buffer(data_, max_length),
                                [this, self](std::error_code ec, std::size_t length) {
                                    if (!ec) do_write(length);
                                });
    }

    void do_write(std::size_t length)
    {
        auto self(shared_from_this());
        asio::async_write(socket_, asio::buffer(data_, length),
                          [this, self](std::error_code ec, std::size_t /*length*/) {
                              if (!ec) do_read();
                          });
    }

    tcp::socket socket_;
    enum { max_length = 1024 };
    char data_[max_length];
};

class server {
public:
    server(asio::io_context& io_context, unsigned short port)
        : acceptor_(io_context, tcp::endpoint(asio::ip::address_v4::loopback(), port))
    {
        do_accept();
    }

private:
    void do_accept()
    {
        acceptor_.async_accept([this](std::error_code ec, tcp::socket socket) {
            if (!ec) std::make_shared<session>(std::move(socket))->start();
            do_accept();
        });
    }

    tcp::acceptor acceptor_;
};

int main(int argc, char* argv[])
{
    char* end = nullptr;
    long port = argc == 2 ? std::strtol(argv[1], &end, 10) : -1;
    if (argc != 2 || *end != '\0' || port < 1 || port > 65535) {
        std::fprintf(stderr, "usage: %s PORT   (echo server on 127.0.0.1:PORT)\n", argv[0]);
        return 2;
    }
    try {
        asio::io_context io_context;
        server s(io_context, static_cast<unsigned short>(port));
        asio::signal_set signals(io_context, SIGINT, SIGTERM);
        signals.async_wait([&](std::error_code, int) { io_context.stop(); });
        io_context.run();
    } catch (std::exception& e) {
        std::fprintf(stderr, "asio_echo: 127.0.0.1:%ld: %s\n", port, e.what());
        return 1;
    }
    return 0;
}
