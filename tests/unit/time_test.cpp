#include <catch2/catch.hpp>

#include "reconcile/json.hpp"

using reconcile::format_time;
using reconcile::parse_time;

TEST_CASE("times parse as UTC seconds and format back") {
  CHECK(parse_time("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_time("2026-01-01T00:30:00Z") == 1767227400);
  CHECK(format_time(1767227400) == "2026-01-01T00:30:00Z");
  CHECK(parse_time("2024-02-29T23:59:59Z") == 1709251199);
  CHECK(format_time(-1) == "1969-12-31T23:59:59Z");
}

TEST_CASE("fractions are dropped and offsets applied") {
  CHECK(parse_time("2026-01-01T00:30:00.123456789Z") == parse_time("2026-01-01T00:30:00Z"));
  CHECK(parse_time("2026-01-01T01:30:00+01:00") == parse_time("2026-01-01T00:30:00Z"));
  CHECK(parse_time("2025-12-31T23:30:00-01:00") == parse_time("2026-01-01T00:30:00Z"));
}

TEST_CASE("malformed times are refused") {
  for (const char* bad : {"", "2026-01-01", "2026-01-01T00:30:00", "2026-13-01T00:00:00Z",
                          "2026-01-01T24:00:00Z", "2026-01-01T00:30:00Zjunk", "2026-01-01T00:30:00.Z",
                          "abcd-01-01T00:00:00Z"}) {
    INFO(bad);
    CHECK_FALSE(parse_time(bad).has_value());
  }
}
