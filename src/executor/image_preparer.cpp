#include "image_preparer.hpp"

#include "run_steps.hpp"

#include "cicd/crypto/digest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <deque>
#include <fstream>

namespace cicd::executor {
namespace {

// "./app/" → "app", "." → "": paths as the git tree names them.
std::string tree_path(std::string path) {
  while (path.starts_with("./")) {
    path.erase(0, 2);
  }
  while (!path.empty() && path.back() == '/') {
    path.pop_back();
  }
  return path == "." ? std::string() : path;
}

// Removes a file in every outcome.
struct RemovedAtEnd {
  std::filesystem::path path;
  ~RemovedAtEnd() {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
};

} // namespace

Result<std::string> ImagePreparer::write_context(const model::ImageBuild& build,
                                                 const std::filesystem::path& tar_path) const {
  git::TarLayout layout;
  layout.build_context = true;
  layout.dockerfile = tree_path(build.dockerfile);
  return m_checkout->write_tar(tree_path(build.context), tar_path, layout);
}

Result<std::string> ImagePreparer::content_hash(const model::ImageBuild& build,
                                                const std::filesystem::path& tar_path,
                                                bool& tar_written) const {
  auto context_dir = tree_path(build.context);
  // The context's tree id covers the Dockerfile (a path in the context, as in Docker's build
  // API and Compose) and every file the build can read; unless a .dockerignore leaves some
  // out, and then it is the content id of what the context's tar keeps.
  auto context = m_checkout->object_id(context_dir);
  if (!context) {
    return context.error();
  }
  auto ignore_file = context_dir.empty() ? ".dockerignore" : context_dir + "/.dockerignore";
  if (m_checkout->object_id(ignore_file)) {
    auto written = write_context(build, tar_path);
    if (!written) {
      return written.error();
    }
    tar_written = true;
    context = "kept " + *written;
  }
  std::string identity = fmt::format("cicd-image-v1\ncontext {}\ndockerfile {}\ntarget {}\n",
                                     *context, tree_path(build.dockerfile), build.target);
  for (const auto& [name, value] : build.build_args) {
    identity += fmt::format("arg {}={}\n", name, value);
  }
  return crypto::sha256_hex(identity);
}

Result<std::string> ImagePreparer::prepare(const model::ImageSource& image) {
  if (const auto* name = std::get_if<std::string>(&image)) {
    if (auto ensured = ensure_image(m_docker, *name, m_options.pull_timeout, m_console, m_cancel);
        !ensured) {
      return ensured.error();
    }
    return *name;
  }
  if (m_checkout == nullptr) {
    return make_error(ErrorCode::unprocessable,
                      "a freestyle job has no repository to build a Dockerfile from: give an "
                      "image name");
  }
  return build(std::get<model::ImageBuild>(image));
}

Result<std::string> ImagePreparer::build(const model::ImageBuild& build) {
  RemovedAtEnd tar{m_work_dir / "context.tar"};
  bool tar_written = false;
  auto hash = content_hash(build, tar.path, tar_written);
  if (!hash) {
    return hash.error();
  }
  auto local = fmt::format("{}:{}", k_built_image_repository, *hash);
  auto exists = m_docker.image_exists(local);
  if (!exists) {
    return exists.error();
  }
  if (*exists) {
    m_console.note(fmt::format("image {} is up to date (built before from the same Dockerfile, "
                               "context and arguments)",
                               local));
    return local;
  }
  if (pull_from_registry(*hash, local)) {
    return local;
  }
  if (!tar_written) {
    if (auto written = write_context(build, tar.path); !written) {
      return written.error();
    }
  }
  std::ifstream context(tar.path, std::ios::binary);
  m_console.note(fmt::format("building {} from {} (context {}{})", local, build.dockerfile,
                             build.context,
                             build.target.empty() ? "" : ", target " + build.target));
  docker::BuildSpec spec;
  spec.tag = local;
  spec.dockerfile = tree_path(build.dockerfile);
  spec.target = build.target;
  spec.build_args = build.build_args;
  spec.labels = {{"cicd.image", *hash}};
  // The build's output is part of the console; its last lines also go into the reason.
  std::deque<std::string> last_lines;
  auto built = m_docker.build_image(
      spec, file_chunks(context),
      [&](std::string_view line) {
        m_console.write(line);
        m_console.write("\n");
        last_lines.emplace_back(line.substr(0, 500));
        if (last_lines.size() > 10) {
          last_lines.pop_front();
        }
      },
      m_options.build_timeout, [&] { return m_cancel.reason().has_value(); });
  if (m_cancel.reason()) {
    return make_error(ErrorCode::unavailable, "stopped while building the image");
  }
  if (!built) {
    if (built.error().code != ErrorCode::unprocessable) {
      return built.error(); // Docker itself failed: an infrastructure error
    }
    std::string tail;
    for (const auto& line : last_lines) {
      tail += "\n" + line;
    }
    return make_error(ErrorCode::unprocessable,
                      fmt::format("image build failed: {}{}", built.error().message,
                                  tail.empty() ? "" : "; its last lines:" + tail));
  }
  // Named after the job and commit too, so that `docker images` tells what each one is for
  // (best effort: Docker's names are lower case, and a job name it refuses only loses this).
  std::string job = m_job;
  std::transform(job.begin(), job.end(), job.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  (void)m_docker.tag_image(local, fmt::format("cicd-job/{}:{}", job, m_commit));
  push_to_registry(local, *hash);
  return local;
}

bool ImagePreparer::pull_from_registry(const std::string& hash, const std::string& local) {
  if (m_options.registry.empty()) {
    return false;
  }
  auto shared = fmt::format("{}/{}:{}", m_options.registry, k_built_image_repository, hash);
  auto pulled = m_docker.pull_image(shared, m_options.pull_timeout,
                                    [&] { return m_cancel.reason().has_value(); });
  if (!pulled) {
    m_console.note(fmt::format("{} is not in the registry yet: building it here", shared));
    return false;
  }
  if (auto tagged = m_docker.tag_image(shared, local); !tagged) {
    return false;
  }
  m_console.note(fmt::format("pulled {} from the registry (built by another agent)", shared));
  return true;
}

void ImagePreparer::push_to_registry(const std::string& local, const std::string& hash) {
  if (m_options.registry.empty()) {
    return;
  }
  auto shared = fmt::format("{}/{}:{}", m_options.registry, k_built_image_repository, hash);
  auto pushed = m_docker.tag_image(local, shared);
  if (pushed) {
    pushed = m_docker.push_image(shared, m_options.pull_timeout,
                                 [&] { return m_cancel.reason().has_value(); });
  }
  // The run does not depend on the registry: other agents will build it themselves.
  m_console.note(pushed ? fmt::format("pushed {} for the other agents", shared)
                        : fmt::format("could not push {} ({}): other agents will build it too",
                                      shared, pushed.error().message));
}

} // namespace cicd::executor
