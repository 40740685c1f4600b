// The socket API's types and constants for the CLI's files (SOCK_*, IPPROTO_*, sockaddr_in*):
// <sys/socket.h> and <netinet/in.h> on Linux, Winsock's headers (through sockit/endpoint.hpp,
// which includes them in the order they need) on Windows.
#pragma once

#ifdef _WIN32
#include "sockit/endpoint.hpp"
#else
#include <netinet/in.h>
#include <sys/socket.h>
#endif
