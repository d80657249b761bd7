// libcurl linked statically without its LDAP, RTMP, SSH and Kerberos
// libraries (libengine/src/curl/left_out_protocols.cpp): what libcurl calls
// on every path the supervisor takes works, and what it would call for a
// left-out protocol is refused before any stub that stops the daemon runs.
#define CATCH_CONFIG_MAIN
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <thread>

#include "curl_handle.hpp"

namespace {

// A SOCKS5 proxy that offers only GSS-API authentication (method 1) to the
// first client, then closes: libcurl must go to GSS-API (Kerberos) there.
class GssOnlySocksProxy {
 public:
  GssOnlySocksProxy() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    auto* generic = reinterpret_cast<sockaddr*>(&address);
    REQUIRE(::bind(listener_, generic, length) == 0);
    REQUIRE(::listen(listener_, 1) == 0);
    REQUIRE(::getsockname(listener_, generic, &length) == 0);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve_one(); });
  }
  ~GssOnlySocksProxy() {
    ::shutdown(listener_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
  }
  GssOnlySocksProxy(const GssOnlySocksProxy&) = delete;
  GssOnlySocksProxy& operator=(const GssOnlySocksProxy&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] bool greeted() const { return greeted_; }

 private:
  void serve_one() {
    const int client = ::accept(listener_, nullptr, nullptr);
    if (client < 0) return;
    std::array<unsigned char, 64> greeting{};
    if (::read(client, greeting.data(), greeting.size()) >= 2 && greeting[0] == 5) {
      greeted_ = true;
      const std::array<unsigned char, 2> choose_gssapi{5, 1};
      (void)::write(client, choose_gssapi.data(), choose_gssapi.size());
      std::array<unsigned char, 64> rest{};
      (void)::read(client, rest.data(), rest.size());  // until libcurl gives up
    }
    ::close(client);
  }

  int listener_ = -1;
  std::uint16_t port_ = 0;
  bool greeted_ = false;
  std::thread thread_;
};

std::size_t discard(char*, std::size_t size, std::size_t count, void*) { return size * count; }

}  // namespace

TEST_CASE("libcurl initialises and reports its version with the left-out libraries absent", "[footprint]") {
  engine::curl::init_once();
  const std::string version = curl_version();
  CHECK(version.find("libssh2/left-out") != std::string::npos);
  CHECK(version.find("OpenSSL/") != std::string::npos);
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  REQUIRE(info != nullptr);
  CHECK((info->features & CURL_VERSION_SSL) != 0);
}

TEST_CASE("a handle limited to http and https refuses ldap, rtmp, scp and sftp URLs before reaching them",
          "[footprint]") {
  for (const char* url : {"ldap://127.0.0.1:1/dc=x", "rtmp://127.0.0.1:1/x", "scp://127.0.0.1:1/x",
                          "sftp://127.0.0.1:1/x"}) {
    engine::curl::Easy easy = engine::curl::make_easy();
    REQUIRE(easy);
    curl_easy_setopt(easy.get(), CURLOPT_URL, url);
    curl_easy_setopt(easy.get(), CURLOPT_PROTOCOLS_STR, "http,https");
    CHECK(curl_easy_perform(easy.get()) == CURLE_UNSUPPORTED_PROTOCOL);
  }
}

TEST_CASE("a SOCKS5 proxy that asks for Kerberos fails the transfer as on a device without credentials",
          "[footprint]") {
  GssOnlySocksProxy proxy;
  engine::curl::Easy easy = engine::curl::make_easy();
  REQUIRE(easy);
  const std::string proxy_url = "socks5://127.0.0.1:" + std::to_string(proxy.port());
  curl_easy_setopt(easy.get(), CURLOPT_URL, "http://127.0.0.1:1/");
  curl_easy_setopt(easy.get(), CURLOPT_PROXY, proxy_url.c_str());
  curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(easy.get(), CURLOPT_TIMEOUT_MS, 10000L);
  std::array<char, CURL_ERROR_SIZE> error{};
  curl_easy_setopt(easy.get(), CURLOPT_ERRORBUFFER, error.data());
  // Before the gss_display_status stub succeeded, libcurl asked it for a
  // text forever here (no I/O, so its timeout never fired): this test hung.
  const CURLcode result = curl_easy_perform(easy.get());
  CHECK(proxy.greeted());
  CHECK(result != CURLE_OK);
  CHECK(result != CURLE_OPERATION_TIMEDOUT);
  CHECK_FALSE(std::string(error.data()).empty());
}
