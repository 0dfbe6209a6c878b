#include "backends.hpp"

#include <fmt/format.h>

#include <fstream>

namespace cicd::results {
namespace fs = std::filesystem;

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

  Result<std::int64_t> put_file(std::int64_t run_id, std::string_view name, const fs::path& source,
                                std::string_view) override {
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
      std::error_code ignored; // the copy's error is the one to report
      fs::remove(temp, ignored);
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

  Result<void> remove_run(std::int64_t run_id) override {
    std::error_code ec;
    fs::remove_all(m_root / "runs" / std::to_string(run_id), ec);
    if (ec) {
      return make_error(
          ErrorCode::unavailable,
          fmt::format("cannot delete the results of run {}: {}", run_id, ec.message()));
    }
    return {};
  }

  Result<std::string> presigned_url(std::int64_t, std::string_view, std::chrono::seconds) override {
    return make_error(ErrorCode::unprocessable,
                      "results kept on the server's disk have no direct link; download them "
                      "without ?redirect=true");
  }

private:
  fs::path path_of(std::int64_t run_id, std::string_view name) const {
    return m_root / object_key(run_id, name);
  }

  fs::path m_root;
};

} // namespace

std::unique_ptr<ResultStore> make_file_result_store(const std::filesystem::path& root) {
  return std::make_unique<FileResultStore>(root);
}

} // namespace cicd::results
