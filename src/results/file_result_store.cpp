#include "cicd/results/result_store.hpp"

#include <fmt/format.h>

#include <fstream>

namespace cicd::results {
namespace fs = std::filesystem;

Result<void> check_result_name(std::string_view name) {
  auto fail = [&] {
    return make_error(ErrorCode::invalid_input,
                      fmt::format("'{}' is not a valid result name", name.substr(0, 64)), "name");
  };
  if (name.empty() || name.size() > 255 || name.front() == '/' || name.back() == '/') {
    return fail();
  }
  std::size_t start = 0;
  while (start <= name.size()) {
    auto end = std::min(name.find('/', start), name.size());
    auto segment = name.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") {
      return fail();
    }
    for (char c : segment) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-';
      if (!ok) {
        return fail();
      }
    }
    start = end + 1;
  }
  return {};
}

namespace {

// One directory per run under the root: <root>/runs/<id>/<name>.
// Thread safety: each put writes a temp file and renames it into place.
class FileResultStore final : public ResultStore {
public:
  explicit FileResultStore(fs::path root) : m_root(std::move(root)) {
    std::error_code ec;
    fs::create_directories(m_root / "runs", ec);
    if (ec) {
      throw Fatal(
          fmt::format("cannot create the results directory {}: {}", m_root.string(), ec.message()));
    }
  }

  Result<std::int64_t> put_file(std::int64_t run_id, std::string_view name,
                                const fs::path& source) override {
    if (auto checked = check_result_name(name); !checked) {
      return checked.error();
    }
    auto target = path_of(run_id, name);
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    auto temp = target;
    temp += ".partial";
    if (!ec) {
      fs::copy_file(source, temp, fs::copy_options::overwrite_existing, ec);
    }
    if (!ec) {
      fs::rename(temp, target, ec);
    }
    if (ec) {
      fs::remove(temp, ec);
      return make_error(ErrorCode::unavailable, fmt::format("cannot store result {} of run {}: {}",
                                                            name, run_id, ec.message()));
    }
    return static_cast<std::int64_t>(fs::file_size(target, ec));
  }

  Result<void> read(std::int64_t run_id, std::string_view name, std::int64_t offset,
                    const std::function<bool(std::string_view)>& sink) override {
    if (auto checked = check_result_name(name); !checked) {
      return checked.error();
    }
    std::ifstream in(path_of(run_id, name), std::ios::binary);
    if (!in) {
      return make_error(ErrorCode::not_found,
                        fmt::format("run {} has no stored result named '{}'", run_id, name));
    }
    in.seekg(offset);
    std::string buffer(64 * 1024, '\0');
    while (in) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      auto got = static_cast<std::size_t>(in.gcount());
      if (got == 0 || !sink(std::string_view(buffer.data(), got))) {
        break;
      }
    }
    return {};
  }

  Result<std::int64_t> size(std::int64_t run_id, std::string_view name) override {
    if (auto checked = check_result_name(name); !checked) {
      return checked.error();
    }
    std::error_code ec;
    auto bytes = fs::file_size(path_of(run_id, name), ec);
    if (ec) {
      return make_error(ErrorCode::not_found,
                        fmt::format("run {} has no stored result named '{}'", run_id, name));
    }
    return static_cast<std::int64_t>(bytes);
  }

private:
  fs::path path_of(std::int64_t run_id, std::string_view name) const {
    return m_root / "runs" / std::to_string(run_id) / std::string(name);
  }

  fs::path m_root;
};

} // namespace

std::unique_ptr<ResultStore> open_result_store(const std::string& url) {
  if (url.starts_with("file://")) {
    auto path = url.substr(std::string_view("file://").size());
    if (path.empty() || path.front() != '/') {
      throw Fatal("--results file:// needs an absolute path, e.g. file:///var/lib/cicd/results");
    }
    return std::make_unique<FileResultStore>(path);
  }
  if (url.starts_with("s3://")) {
    throw Fatal("--results s3://… is not built yet (it arrives with the results issue); use "
                "file:///dir for now",
                2);
  }
  throw Fatal("--results must be file:///dir or s3://bucket/prefix");
}

} // namespace cicd::results
