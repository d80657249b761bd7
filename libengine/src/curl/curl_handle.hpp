// The libcurl layer both HTTP adapters share (the Docker client over its
// socket, the cloud client over HTTPS): one global initialisation, and
// owning handles so no path leaks an easy handle or a header list.
#pragma once

#include <curl/curl.h>

#include <memory>

namespace engine::curl {

// curl_global_init is not thread-safe; clients may be first used from
// several threads at once. Call before every curl_easy_init.
void init_once();

struct EasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct HeaderListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

using Easy = std::unique_ptr<CURL, EasyDeleter>;
using HeaderList = std::unique_ptr<curl_slist, HeaderListDeleter>;

// A new easy handle (null when libcurl is out of memory).
[[nodiscard]] Easy make_easy();

}  // namespace engine::curl
