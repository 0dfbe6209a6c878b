// The job's workspace: the run's commit, uploaded into the job container through the archive
// API before it starts (no bind mount, ever).
#include "run_steps.hpp"

#include <fmt/format.h>

#include <algorithm>
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

namespace {

// Who the workspace belongs to: the user the job runs as. Numeric ids go into the tar; a name
// is resolved by Docker in the container (its passwd, not the agent's).
struct WorkspaceOwner {
  std::int64_t uid = 0;
  std::int64_t gid = 0;
  bool by_name = false;
};

bool is_id(std::string_view text) {
  return !text.empty() && text.size() <= 9 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Result<WorkspaceOwner> workspace_owner(const std::string& user) {
  auto colon = user.find(':');
  std::string name = user.substr(0, colon);
  std::string group = colon == std::string::npos ? "" : user.substr(colon + 1);
  if (user.empty() || user == "root") {
    return WorkspaceOwner{};
  }
  if (is_id(name) && (group.empty() || is_id(group))) {
    return WorkspaceOwner{std::stoll(name), group.empty() ? 0 : std::stoll(group), false};
  }
  if (group.empty()) {
    return WorkspaceOwner{0, 0, true};
  }
  return make_error(ErrorCode::unprocessable,
                    fmt::format("the job runs as '{}': its workspace can be given to a user name "
                                "alone or to numeric ids (\"1000:1000\"), not to a name with a "
                                "group",
                                user));
}

} // namespace

Result<void> upload_workspace(docker::Client& docker, const std::string& container,
                              const git::RunCheckout& checkout, const std::string& workdir,
                              const std::filesystem::path& work_dir) {
  auto state = docker.inspect_container(container);
  if (!state) {
    return state.error();
  }
  auto owner = workspace_owner(state->user);
  if (!owner) {
    return owner.error();
  }
  // The tree goes under the workdir's own name into its parent, so that the workdir itself,
  // made by Docker for root, becomes the job user's too.
  auto target = std::filesystem::path(workdir).lexically_normal();
  if (!target.has_filename() && target != "/") {
    target = target.parent_path(); // "/workspace/" → "/workspace"
  }
  auto tar_path = work_dir / "workspace.tar";
  git::TarLayout layout;
  layout.prefix = target.filename().string();
  layout.uid = owner->uid;
  layout.gid = owner->gid;
  if (auto written = checkout.write_tar("", tar_path, layout); !written) {
    return written.error();
  }
  std::ifstream tar(tar_path, std::ios::binary);
  auto uploaded = docker.put_archive(container, target.parent_path().string(), file_chunks(tar),
                                     owner->by_name);
  std::error_code ignored;
  std::filesystem::remove(tar_path, ignored);
  if (!uploaded) {
    return make_error(uploaded.error().code, fmt::format("uploading the checkout into {}: {}",
                                                         workdir, uploaded.error().message));
  }
  return {};
}

} // namespace cicd::executor
