#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ctime>

#include "reconcile/json.hpp"

namespace reconcile {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil); pure arithmetic, no time zone database.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

bool digits(std::string_view text, std::size_t pos, std::size_t count, unsigned& out) {
  if (pos + count > text.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + static_cast<unsigned>(text[i] - '0');
  }
  return true;
}

}  // namespace

std::optional<Seconds> parse_time(std::string_view text) {
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(text, 0, 4, year) || text.size() < 19 || text[4] != '-' || !digits(text, 5, 2, month) ||
      text[7] != '-' || !digits(text, 8, 2, day) || (text[10] != 'T' && text[10] != ' ') ||
      !digits(text, 11, 2, hour) || text[13] != ':' || !digits(text, 14, 2, minute) ||
      text[16] != ':' || !digits(text, 17, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {  // fractional seconds are dropped
    ++pos;
    const std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == start) return std::nullopt;
  }
  std::int64_t offset = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    unsigned oh = 0, om = 0;
    if (!digits(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !digits(text, pos + 4, 2, om)) {
      return std::nullopt;
    }
    offset = (text[pos] == '+' ? 1 : -1) * static_cast<std::int64_t>(oh * 3600 + om * 60);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  return days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
}

namespace {

// The UTC date and time of `time`, by the pure arithmetic above (no gmtime:
// libreconcile reads no time zone database). The year is kept apart because
// std::tm's int would overflow for far times.
struct Civil {
  std::int64_t year = 0;
  std::tm rest{};  // month, day, hour, minute and second
};

Civil civil_from_seconds(Seconds time) {
  std::int64_t days = time / 86400;
  std::int64_t rest = time % 86400;
  if (rest < 0) {
    rest += 86400;
    days -= 1;
  }
  Civil civil;
  unsigned month = 0, day = 0;
  civil_from_days(days, civil.year, month, day);
  civil.rest.tm_mon = static_cast<int>(month) - 1;
  civil.rest.tm_mday = static_cast<int>(day);
  civil.rest.tm_hour = static_cast<int>(rest / 3600);
  civil.rest.tm_min = static_cast<int>(rest / 60 % 60);
  civil.rest.tm_sec = static_cast<int>(rest % 60);
  return civil;
}

}  // namespace

std::string format_time(Seconds time) {
  const Civil civil = civil_from_seconds(time);
  return fmt::format("{:04}-{:%m-%dT%H:%M:%S}Z", civil.year, civil.rest);
}

std::string format_time_ms(std::int64_t ms) {
  const Civil civil = civil_from_seconds(ms / 1000);
  return fmt::format("{:04}-{:%m-%dT%H:%M:%S}.{:03}Z", civil.year, civil.rest, ms % 1000);
}

}  // namespace reconcile
