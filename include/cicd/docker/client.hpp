#pragma once
// A client of the Docker Engine API v1.41 over its unix socket, on Boost.Beast (no docker
// CLI). It covers what a run needs: images, networks, containers, logs, the archive API.
//
// Contract:
// - Every call opens its own connection, so calls may run concurrently from any thread.
// - Every call but follow_logs and the streaming bodies has a deadline (k_call_timeout unless
//   given); a daemon that does not answer in time is ErrorCode::unavailable.
// - Docker's own error message is kept: an API error is ErrorCode::not_found for 404,
//   conflict for 409, unavailable when the socket cannot be reached, internal otherwise, with
//   the message "Docker: <Docker's message>".
// - Nothing is retried here; callers decide.

#include "cicd/core/error.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cicd::docker {

inline constexpr std::chrono::seconds k_call_timeout{60};

struct ContainerSpec {
  std::string name; // empty: Docker picks one
  std::string image;
  std::optional<std::vector<std::string>> entrypoint; // unset: the image's
  std::vector<std::string> cmd;                       // empty: the image's
  std::vector<std::string> env;                       // "NAME=value"
  std::string working_dir;
  std::string user;
  std::map<std::string, std::string> labels;
  std::int64_t nano_cpus = 0;       // 0: no limit
  std::int64_t memory_bytes = 0;    // 0: no limit
  std::int64_t pids_limit = 0;      // 0: no limit
  std::string network;              // network to attach at creation
  std::vector<std::string> aliases; // DNS names on that network
  // Run Docker's init (tini) as PID 1, so SIGTERM reaches the command, which as PID 1
  // would ignore it.
  bool init = false;
  // false: Docker keeps no log of the output (logs cannot be read back); the caller reads it
  // with attach_output, which is faster and spares the disk a second copy.
  bool docker_logs = true;
  // Never set, by construction: Privileged, Binds, Mounts, Devices, CapAdd, host network.
};

struct BuildSpec {
  std::string tag;
  std::string dockerfile = "Dockerfile"; // path inside the context
  std::string target;
  std::map<std::string, std::string> build_args;
  std::map<std::string, std::string> labels;
};

struct ContainerState {
  bool running = false;
  std::int64_t exit_code = 0;
  bool oom_killed = false;
  std::string health; // "", "starting", "healthy", "unhealthy"
  std::string user;   // Config.User: the spec's, else the image's; "" for root
  std::map<std::string, std::string> ip_addresses; // network name → IPv4 address
};

enum class OutputStream { stdout_stream, stderr_stream };
using OutputSink = std::function<bool(OutputStream, std::string_view)>;

namespace detail {
class Connection;
}

// A container's output stream, opened before the container starts so that nothing it
// prints is missed; it comes straight from the container, not back out of Docker's logs.
// Thread safety: none; read from one thread.
class Attachment {
public:
  Attachment(Attachment&&) noexcept;
  Attachment& operator=(Attachment&&) noexcept;
  ~Attachment();

  // Reads stdout and stderr until the container exits (or `sink` returns false), decoding
  // Docker's multiplexed stream. No deadline: killing the container ends it.
  Result<void> read(const OutputSink& sink);

private:
  friend class Client;
  explicit Attachment(std::unique_ptr<detail::Connection> connection);
  std::unique_ptr<detail::Connection> m_connection;
};

// Receives successive pieces of a body; returning false stops the transfer early.
using ChunkSink = std::function<bool(std::string_view chunk)>;
// Produces the next piece of a request body into the buffer; 0 ends it.
using ChunkSource = std::function<Result<std::size_t>(char* buffer, std::size_t size)>;

// Thread safety: all methods may be called concurrently.
class Client {
public:
  // socket_path: the engine's unix socket.
  explicit Client(std::string socket_path);
  // DOCKER_HOST=unix:///path when set, else /var/run/docker.sock. Throws Fatal for another
  // DOCKER_HOST scheme.
  static Client from_environment();

  const std::string& socket_path() const { return m_socket_path; }

  // The engine's API version ("1.41"); unavailable when no engine answers.
  Result<std::string> api_version();

  Result<bool> image_exists(const std::string& image);
  // Pulls from the image's registry; the progress stream is consumed and its error reported.
  // `stop`, when given, is asked a few times a second; true gives the pull up.
  Result<void> pull_image(const std::string& image, std::chrono::seconds timeout,
                          const std::function<bool()>& stop = {});
  // POST /images/create?fromSrc=-: a root filesystem tar becomes image `repo_tag`.
  Result<void> import_image(const std::string& repo_tag, std::string_view rootfs_tar);
  // POST /build with the context tar streamed from `context`; build output lines go to `log`.
  // A failing build step is unprocessable (the image's fault, not Docker's). `stop` as for
  // pull_image.
  Result<void> build_image(const BuildSpec& spec, const ChunkSource& context,
                           const std::function<void(std::string_view line)>& log,
                           std::chrono::seconds timeout, const std::function<bool()>& stop = {});
  // Gives `image` the further name `repo_tag` ("registry:5000/app:tag").
  Result<void> tag_image(const std::string& image, const std::string& repo_tag);
  // Pushes `repo_tag` to its registry (anonymously). `stop` as for pull_image.
  Result<void> push_image(const std::string& repo_tag, std::chrono::seconds timeout,
                          const std::function<bool()>& stop = {});
  Result<void> remove_image(const std::string& image);

  // Creates a bridge network; returns its id.
  Result<std::string> create_network(const std::string& name,
                                     const std::map<std::string, std::string>& labels);
  Result<void> remove_network(const std::string& id_or_name);
  // Ids of networks whose labels include `label` ("key=value").
  Result<std::vector<std::string>> networks_with_label(const std::string& label);

  Result<std::string> create_container(const ContainerSpec& spec); // returns the id
  Result<void> start_container(const std::string& id);
  // Attaches to a created container's stdout and stderr; call before start_container.
  Result<Attachment> attach_output(const std::string& id);
  // Follows stdout and stderr from the start until the container exits (or `sink` returns
  // false), decoding Docker's multiplexed stream. No deadline: the caller ends a run by
  // killing its container, which ends this call.
  Result<void> follow_logs(const std::string& id, const OutputSink& sink);
  // The last `lines` lines of a container's output, without following. Docker 20.10's follow
  // stream ends without the final line when it has no newline; this one includes it.
  Result<void> tail_logs(const std::string& id, int lines, const OutputSink& sink);
  // Waits for the container to stop; returns its exit code.
  Result<std::int64_t> wait_container(const std::string& id, std::chrono::seconds timeout);
  Result<void> kill_container(const std::string& id, const std::string& signal);
  // Removes the container (force: also if running) and its anonymous volumes.
  Result<void> remove_container(const std::string& id, bool force);
  Result<ContainerState> inspect_container(const std::string& id);
  // Ids of containers (running or not) whose labels include `label` ("key=value").
  Result<std::vector<std::string>> containers_with_label(const std::string& label);

  // PUT /containers/{id}/archive?path=dir: extracts a tar into the container.
  Result<void> put_archive(const std::string& id, const std::string& dir, std::string_view tar);
  // The same with the tar streamed from `source`. `to_container_user`: the files are given to
  // the container's user (copyUIDGID; Docker looks its name up in the container's passwd, so a
  // numeric user must be set in the tar instead).
  Result<void> put_archive(const std::string& id, const std::string& dir, const ChunkSource& source,
                           bool to_container_user = false);
  // GET /containers/{id}/archive?path=path: streams a tar of that path to `sink`.
  // not_found when the path does not exist in the container.
  Result<void> get_archive(const std::string& id, const std::string& path, const ChunkSink& sink);

private:
  std::string m_socket_path;
};

// Decodes Docker's multiplexed stdout/stderr framing (8-byte headers) across arbitrary
// chunk boundaries. Thread safety: none; one per stream.
class StreamDemuxer {
public:
  // Feeds raw bytes; calls `sink` for each complete or partial frame payload in order.
  void feed(std::string_view bytes,
            const std::function<void(OutputStream, std::string_view)>& sink);

private:
  unsigned char m_header[8]{};
  std::size_t m_header_filled = 0;
  std::size_t m_payload_left = 0;
  OutputStream m_stream = OutputStream::stdout_stream;
};

} // namespace cicd::docker
