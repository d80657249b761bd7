#include "curl_handle.hpp"

#include <mutex>

namespace engine::curl {

void init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Easy make_easy() {
  init_once();
  return Easy(curl_easy_init());
}

}  // namespace engine::curl
