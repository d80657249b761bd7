// The sd-bus functions host_power.cpp and host_units.cpp call, answered by
// libsystemd loaded on first use (dlopen) instead of linked (issue 13).
// Linked, libsystemd and the five libraries it loads (libgcrypt,
// libgpg-error, liblz4, liblzma, libcap) cost ~1 MiB of idle RSS for calls
// made only when the API reboots the host or changes its proxy; sd_notify
// is done without it (systemd_notify.cpp).
//
// The definitions below are the library's own declarations from
// <systemd/sd-bus.h>, so a signature that differs does not compile. They are
// not exported from the binary (nothing linked refers to them), so they do not
// stand in for libsystemd's own calls once it is loaded. Where libsystemd
// cannot be loaded, opening the bus fails with ENOPKG and the callers report
// it as they report a host without a system bus.
#include <dlfcn.h>
#include <systemd/sd-bus.h>

#include <cerrno>
#include <cstdarg>

namespace {

// libsystemd's functions, resolved once; all null when it cannot be loaded.
struct SdBus {
  decltype(&sd_bus_open_system) open_system = nullptr;
  decltype(&sd_bus_flush_close_unref) flush_close_unref = nullptr;
  decltype(&sd_bus_call_methodv) call_methodv = nullptr;
  decltype(&sd_bus_get_property_string) get_property_string = nullptr;
  decltype(&sd_bus_get_property_strv) get_property_strv = nullptr;
  decltype(&sd_bus_message_readv) message_readv = nullptr;
  decltype(&sd_bus_message_unref) message_unref = nullptr;
  decltype(&sd_bus_error_free) error_free = nullptr;

  [[nodiscard]] bool loaded() const { return open_system != nullptr; }
};

template <class Function>
bool resolve(void* library, const char* name, Function& out) {
  out = reinterpret_cast<Function>(::dlsym(library, name));
  return out != nullptr;
}

SdBus load() {
  // Never closed: the functions stay in use until the process ends.
  void* library = ::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) return {};
  SdBus bus;
  const bool all = resolve(library, "sd_bus_open_system", bus.open_system) &&
                   resolve(library, "sd_bus_flush_close_unref", bus.flush_close_unref) &&
                   resolve(library, "sd_bus_call_methodv", bus.call_methodv) &&
                   resolve(library, "sd_bus_get_property_string", bus.get_property_string) &&
                   resolve(library, "sd_bus_get_property_strv", bus.get_property_strv) &&
                   resolve(library, "sd_bus_message_readv", bus.message_readv) &&
                   resolve(library, "sd_bus_message_unref", bus.message_unref) &&
                   resolve(library, "sd_bus_error_free", bus.error_free);
  return all ? bus : SdBus{};
}

const SdBus& sd_bus_library() {
  static const SdBus bus = load();  // thread-safe, once
  return bus;
}

}  // namespace

// Without libsystemd no bus is ever opened, so no other function below is
// reached with an object it made; they answer as for a null argument.

int sd_bus_open_system(sd_bus** ret) {
  const SdBus& lib = sd_bus_library();
  if (!lib.loaded()) return -ENOPKG;  // "Package not installed"
  return lib.open_system(ret);
}

sd_bus* sd_bus_flush_close_unref(sd_bus* bus) {
  const SdBus& lib = sd_bus_library();
  return lib.loaded() ? lib.flush_close_unref(bus) : nullptr;
}

int sd_bus_call_method(sd_bus* bus, const char* destination, const char* path, const char* interface,
                       const char* member, sd_bus_error* ret_error, sd_bus_message** reply, const char* types, ...) {
  const SdBus& lib = sd_bus_library();
  if (!lib.loaded()) return -ENOPKG;
  va_list arguments;
  va_start(arguments, types);
  const int called = lib.call_methodv(bus, destination, path, interface, member, ret_error, reply, types, arguments);
  va_end(arguments);
  return called;
}

int sd_bus_get_property_string(sd_bus* bus, const char* destination, const char* path, const char* interface,
                               const char* member, sd_bus_error* ret_error, char** ret) {
  const SdBus& lib = sd_bus_library();
  if (!lib.loaded()) return -ENOPKG;
  return lib.get_property_string(bus, destination, path, interface, member, ret_error, ret);
}

int sd_bus_get_property_strv(sd_bus* bus, const char* destination, const char* path, const char* interface,
                             const char* member, sd_bus_error* ret_error, char*** ret) {
  const SdBus& lib = sd_bus_library();
  if (!lib.loaded()) return -ENOPKG;
  return lib.get_property_strv(bus, destination, path, interface, member, ret_error, ret);
}

int sd_bus_message_read(sd_bus_message* message, const char* types, ...) {
  const SdBus& lib = sd_bus_library();
  if (!lib.loaded()) return -ENOPKG;
  va_list arguments;
  va_start(arguments, types);
  const int read = lib.message_readv(message, types, arguments);
  va_end(arguments);
  return read;
}

sd_bus_message* sd_bus_message_unref(sd_bus_message* message) {
  const SdBus& lib = sd_bus_library();
  return lib.loaded() ? lib.message_unref(message) : nullptr;
}

void sd_bus_error_free(sd_bus_error* error) {
  // An error only holds memory libsystemd allocated, so without it there is
  // nothing to free.
  const SdBus& lib = sd_bus_library();
  if (lib.loaded()) lib.error_free(error);
}
