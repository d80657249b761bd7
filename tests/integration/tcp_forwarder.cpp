#include "tcp_forwarder.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cstring>
#include <stdexcept>

namespace testenv {
namespace {

int connect_unix(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Copies what is readable on `from` to `to`; false when `from` closed.
bool copy_once(int from, int to) {
  char buffer[16384];
  const ssize_t got = ::read(from, buffer, sizeof(buffer));
  if (got <= 0) return false;
  ssize_t sent = 0;
  while (sent < got) {
    const ssize_t n = ::write(to, buffer + sent, static_cast<size_t>(got - sent));
    if (n <= 0) return false;
    sent += n;
  }
  return true;
}

}  // namespace

TcpForwarder::TcpForwarder(std::string unix_socket_path) : socket_path_(std::move(unix_socket_path)) {
  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listener_ < 0) throw std::runtime_error("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // loopback only
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listener_, 8) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(listener_);
    throw std::runtime_error("bind/listen failed");
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { serve(); });
}

TcpForwarder::~TcpForwarder() {
  stop_ = true;
  thread_.join();
  ::close(listener_);
}

std::string TcpForwarder::address() const { return fmt::format("127.0.0.1:{}", port_); }

void TcpForwarder::serve() {
  while (!stop_) {
    pollfd waiting{listener_, POLLIN, 0};
    if (::poll(&waiting, 1, 100) <= 0) continue;
    const int client = ::accept(listener_, nullptr, nullptr);
    if (client < 0) continue;
    pump(client);  // one connection at a time is enough for the tests
    ::close(client);
  }
}

void TcpForwarder::pump(int client) {
  const int engine = connect_unix(socket_path_);
  if (engine < 0) return;
  pollfd fds[2] = {{client, POLLIN, 0}, {engine, POLLIN, 0}};
  while (!stop_) {
    if (::poll(fds, 2, 100) <= 0) continue;
    if ((fds[0].revents & (POLLIN | POLLHUP)) != 0 && !copy_once(client, engine)) break;
    if ((fds[1].revents & (POLLIN | POLLHUP)) != 0 && !copy_once(engine, client)) break;
  }
  ::close(engine);
}

}  // namespace testenv
