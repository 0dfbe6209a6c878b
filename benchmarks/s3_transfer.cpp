// The S3 result store's side of benchmarks/s3_throughput.sh: one upload or download through
// the backend exactly as the agent and the master use it, credentials from the environment.
//
//   cicd_s3_transfer put URL FILE [--single]   stores FILE as result "bench" of run 1
//                                              (--single: one PUT however large, no parts)
//   cicd_s3_transfer get URL                   reads it back, discarding the bytes
//
// Prints the bytes moved and the process's peak resident memory (VmHWM) in KiB.

#include "results/backends.hpp"

#include "cicd/core/error.hpp"

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <limits>
#include <string>

namespace {

long peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmHWM:")) {
      return std::stol(line.substr(6));
    }
  }
  return 0;
}

int transfer(int argc, char** argv) {
  using namespace cicd::results;
  std::string verb = argc > 1 ? argv[1] : "";
  if (argc < 3 || (verb != "put" && verb != "get") || (verb == "put" && argc < 4)) {
    std::cerr << "usage: cicd_s3_transfer put URL FILE [--single] | get URL\n";
    return 2;
  }
  auto tuning = S3Tuning{};
  if (verb == "put" && argc > 4 && std::string(argv[4]) == "--single") {
    tuning.part_size = std::numeric_limits<std::int64_t>::max();
  }
  auto store =
      make_s3_result_store(parse_s3_url(argv[2]), s3_credentials_from_environment(), tuning);
  std::int64_t bytes = 0;
  if (verb == "put") {
    auto stored = store->put_file(1, "bench", argv[3], "application/octet-stream");
    if (!stored) {
      std::cerr << stored.error().message << "\n";
      return 1;
    }
    bytes = *stored;
  } else {
    auto read = store->read(1, "bench", 0, [&](std::string_view piece) {
      bytes += static_cast<std::int64_t>(piece.size());
      return true;
    });
    if (!read) {
      std::cerr << read.error().message << "\n";
      return 1;
    }
  }
  std::cout << fmt::format("{} {}\n", bytes, peak_rss_kib());
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  try {
    return transfer(argc, argv);
  } catch (const cicd::Fatal& fatal) {
    std::cerr << fatal.what() << "\n";
    return fatal.exit_code();
  }
}
