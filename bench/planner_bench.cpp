// planner-bench: median time of one next_steps call on each benchmark
// request (A apps x S services, every service moving to a new image).
//
// usage: planner-bench [--runs N] [FILE_OR_DIR ...]
//        (default: the shared bench/planner folder)
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "reconcile/json.hpp"
#include "reconcile/planner.hpp"

namespace {

std::size_t services_in(const reconcile::State& state) {
  std::size_t n = 0;
  for (const auto& app : state.apps) n += app.services.size();
  return n;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 0;  // 0: as many as fit in about a second, at least 11
  std::vector<std::filesystem::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--runs" && i + 1 < argc) {
      runs = std::stoi(argv[++i]);
    } else {
      inputs.emplace_back(arg);
    }
  }
  if (inputs.empty()) inputs.emplace_back(RECONCILE_BENCH_DIR);
  std::vector<std::filesystem::path> files;
  for (const auto& input : inputs) {
    if (std::filesystem::is_directory(input)) {
      for (const auto& entry : std::filesystem::directory_iterator(input)) {
        if (entry.path().extension() == ".json") files.push_back(entry.path());
      }
    } else {
      files.push_back(input);
    }
  }
  if (files.empty()) {
    fmt::print(stderr, "planner-bench: no benchmark requests found\n");
    return 2;
  }
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
    return std::filesystem::file_size(a) < std::filesystem::file_size(b);
  });

  fmt::print("{:<16} {:>8} {:>8} {:>6} {:>14} {:>14}\n", "request", "apps", "services", "steps", "median_us",
             "us_per_service");
  for (const auto& file : files) {
    std::ifstream in(file);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto parsed = reconcile::parse_plan_request_text(text);
    if (!parsed.ok()) {
      fmt::print(stderr, "planner-bench: {}: {}\n", file.string(), parsed.error().to_string());
      return 2;
    }
    const auto& request = parsed.value();
    std::size_t steps = reconcile::next_steps(request.current, request.target, request.context).size();
    std::vector<double> samples;
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0;; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      const auto result = reconcile::next_steps(request.current, request.target, request.context);
      const auto t1 = std::chrono::steady_clock::now();
      steps = result.size();
      samples.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
      if (runs > 0 ? i + 1 >= runs
                   : (i >= 10 && std::chrono::steady_clock::now() - started > std::chrono::seconds(1))) {
        break;
      }
    }
    const std::size_t services = services_in(request.target);
    const double us = median(samples);
    fmt::print("{:<16} {:>8} {:>8} {:>6} {:>14.1f} {:>14.3f}\n", file.stem().string(), request.target.apps.size(),
               services, steps, us, services ? us / static_cast<double>(services) : 0.0);
  }
  return 0;
}
