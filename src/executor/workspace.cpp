// The job's workspace: the run's commit, uploaded into the job container through the archive
// API before it starts (no bind mount, ever).
#include "run_steps.hpp"

#include <fmt/format.h>

#include <fstream>

namespace cicd::executor {

docker::ChunkSource file_chunks(std::ifstream& file) {
  return [&file](char* buffer, std::size_t size) -> Result<std::size_t> {
    file.read(buffer, static_cast<std::streamsize>(size));
    if (file.bad()) {
      return make_error(ErrorCode::unavailable, "the agent could not read back a tar it wrote");
    }
    return static_cast<std::size_t>(file.gcount());
  };
}

Result<void> upload_workspace(docker::Client& docker, const std::string& container,
                              const git::RunCheckout& checkout, const std::string& workdir,
                              const std::filesystem::path& work_dir) {
  auto tar_path = work_dir / "workspace.tar";
  if (auto written = checkout.write_tar("", tar_path); !written) {
    return written.error();
  }
  std::ifstream tar(tar_path, std::ios::binary);
  auto uploaded = docker.put_archive(container, workdir, file_chunks(tar));
  std::error_code ignored;
  std::filesystem::remove(tar_path, ignored);
  if (!uploaded) {
    return make_error(uploaded.error().code, fmt::format("uploading the checkout into {}: {}",
                                                         workdir, uploaded.error().message));
  }
  return {};
}

} // namespace cicd::executor
