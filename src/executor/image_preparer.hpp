#pragma once
// The image a run or one of its services runs in (DESIGN.md, "A run on the agent" step 3): an
// image name is pulled when the agent does not have it; a Dockerfile of the repository is
// built from the run's commit. A built image is named by a content hash of what went into it
// (the context's git tree, the Dockerfile's path, the target and the build arguments), so an
// unchanged environment is never built twice: not on this agent (Docker keeps it), and not
// on any agent sharing a registry (`--registry`), which gets it pushed once and pulls it.
// Private to src/executor.

#include "console_writer.hpp"

#include "cicd/docker/client.hpp"
#include "cicd/executor/cancel_signal.hpp"
#include "cicd/executor/run_executor.hpp"
#include "cicd/git/repository.hpp"
#include "cicd/model/run_spec.hpp"

#include <filesystem>
#include <string>

namespace cicd::executor {

// The local name of a built image: "cicd-image:<content hash>".
inline constexpr const char* k_built_image_repository = "cicd-image";

// Thread safety: none; one per run.
class ImagePreparer {
public:
  // `checkout` is null for a freestyle run (it has no repository to build from).
  ImagePreparer(docker::Client& docker, const ExecutorOptions& options, ConsoleWriter& console,
                const CancelSignal& cancel, const git::RunCheckout* checkout,
                std::filesystem::path work_dir, std::string job, std::string commit)
      : m_docker(docker), m_options(options), m_console(console), m_cancel(cancel),
        m_checkout(checkout), m_work_dir(std::move(work_dir)), m_job(std::move(job)),
        m_commit(std::move(commit)) {}

  // Returns the image reference to create containers from. A failed build is unprocessable
  // "image build failed: …" with Docker's message and the build's last lines.
  Result<std::string> prepare(const model::ImageSource& image);

private:
  // The content hash a build is named by (hex SHA-256). For a context with a .dockerignore,
  // the context's tar is written to `tar_path` on the way (`tar_written`).
  Result<std::string> content_hash(const model::ImageBuild& build,
                                   const std::filesystem::path& tar_path, bool& tar_written) const;
  // The context as Docker gets it, the .dockerignore applied; returns its content id.
  Result<std::string> write_context(const model::ImageBuild& build,
                                    const std::filesystem::path& tar_path) const;
  Result<std::string> build(const model::ImageBuild& build);
  // Tries the registry for `hash`; true when the image is now here.
  bool pull_from_registry(const std::string& hash, const std::string& local);
  void push_to_registry(const std::string& local, const std::string& hash);

  docker::Client& m_docker;
  const ExecutorOptions& m_options;
  ConsoleWriter& m_console;
  const CancelSignal& m_cancel;
  const git::RunCheckout* m_checkout;
  std::filesystem::path m_work_dir;
  std::string m_job;
  std::string m_commit;
};

} // namespace cicd::executor
