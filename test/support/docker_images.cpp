#include "support/docker_images.hpp"

#include <gtest/gtest.h>

#include <archive.h>
#include <archive_entry.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

namespace cicd::test {
namespace {

constexpr const char* k_host_busybox = "/usr/bin/busybox";

bool running_under_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && (std::string_view(ci) == "true" || std::string_view(ci) == "1");
}

// void so that FAIL() and GTEST_SKIP() can end it.
// A service the tests need is missing: a failure under CI, a loud skip elsewhere.
void report_missing(const std::string& message) {
  if (running_under_ci()) {
    FAIL() << message;
  }
  GTEST_SKIP() << "\n*** SKIPPED: " << message << " ***\n";
}

void check_engine(docker::Client& client) {
  auto version = client.api_version();
  if (version) {
    return;
  }
  std::string message = "no Docker engine answers at " + client.socket_path() + " (" +
                        version.error().message +
                        "). Run the tests with scripts/test, which starts a private engine "
                        "(scripts/lib/docker.sh) and sets DOCKER_HOST.";
  report_missing(message);
}

std::string read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::vector<std::string> busybox_applets() {
  std::vector<std::string> applets;
  std::unique_ptr<FILE, decltype(&pclose)> list(popen("/usr/bin/busybox --list", "r"), pclose);
  if (!list) {
    return applets;
  }
  char line[256];
  while (std::fgets(line, sizeof line, list.get()) != nullptr) {
    std::string name(line);
    while (!name.empty() && (name.back() == '\n' || name.back() == '\r')) {
      name.pop_back();
    }
    if (!name.empty() && name != "busybox" && name.find('/') == std::string::npos) {
      applets.push_back(name);
    }
  }
  return applets;
}

std::vector<TarEntry> busybox_rootfs(const std::string& busybox) {
  using Type = TarEntry::Type;
  std::vector<TarEntry> entries{
      {"bin", "", 0755, Type::directory, ""},
      {"bin/busybox", busybox, 0755, Type::file, ""},
      {"etc", "", 0755, Type::directory, ""},
      {"etc/passwd",
       "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n", 0644,
       Type::file, ""},
      {"etc/group", "root:x:0:\nnogroup:x:65534:\n", 0644, Type::file, ""},
      {"root", "", 0700, Type::directory, ""},
      {"tmp", "", 01777, Type::directory, ""},
      {"workspace", "", 0755, Type::directory, ""},
  };
  for (const auto& applet : busybox_applets()) {
    entries.push_back({"bin/" + applet, "", 0777, Type::symlink, "busybox"});
  }
  return entries;
}

// void so that ASSERT_* can end it; `image` stays empty when they do.
void import_busybox(docker::Client& client, std::string& image) {
  auto exists = client.image_exists(std::string(k_busybox_image));
  ASSERT_TRUE(exists.has_value()) << exists.error().message;
  if (!*exists) {
    auto busybox = read_file(k_host_busybox);
    ASSERT_FALSE(busybox.empty()) << k_host_busybox << " is missing: install busybox-static";
    auto rootfs = busybox_rootfs(busybox);
    ASSERT_GT(rootfs.size(), 20u) << "`" << k_host_busybox << " --list` listed no applets";
    auto imported = client.import_image(std::string(k_busybox_image), make_tar(rootfs));
    ASSERT_TRUE(imported.has_value()) << imported.error().message;
  }
  image = k_busybox_image;
}

la_ssize_t append_to_string(struct archive*, void* client_data, const void* buffer, size_t length) {
  static_cast<std::string*>(client_data)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

} // namespace

void require_docker_engine(docker::Client& client) {
  check_engine(client);
}

std::string test_registry() {
  const char* registry = std::getenv("CICD_TEST_REGISTRY");
  if (registry != nullptr && *registry != '\0') {
    return registry;
  }
  report_missing("CICD_TEST_REGISTRY is not set: run the tests with scripts/test, which starts "
                 "a registry (scripts/lib/registry.sh)");
  return {};
}

std::string ensure_busybox_image(docker::Client& client) {
  std::string image;
  import_busybox(client, image);
  return image;
}

std::string make_tar(const std::vector<TarEntry>& entries) {
  std::string tar;
  std::unique_ptr<struct archive, decltype(&archive_write_free)> writer(archive_write_new(),
                                                                        archive_write_free);
  archive_write_set_format_pax_restricted(writer.get());
  if (archive_write_open(writer.get(), &tar, nullptr, append_to_string, nullptr) != ARCHIVE_OK) {
    ADD_FAILURE() << "archive_write_open: " << archive_error_string(writer.get());
    return {};
  }
  for (const auto& item : entries) {
    std::unique_ptr<struct archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(),
                                                                               archive_entry_free);
    archive_entry_set_pathname(entry.get(), item.path.c_str());
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    archive_entry_set_mtime(entry.get(), 1'700'000'000, 0);
    switch (item.type) {
    case TarEntry::Type::file:
      archive_entry_set_filetype(entry.get(), AE_IFREG);
      archive_entry_set_size(entry.get(), static_cast<la_int64_t>(item.content.size()));
      break;
    case TarEntry::Type::directory:
      archive_entry_set_filetype(entry.get(), AE_IFDIR);
      break;
    case TarEntry::Type::symlink:
      archive_entry_set_filetype(entry.get(), AE_IFLNK);
      archive_entry_set_symlink(entry.get(), item.link_target.c_str());
      break;
    }
    archive_entry_set_perm(entry.get(), item.mode);
    if (archive_write_header(writer.get(), entry.get()) != ARCHIVE_OK) {
      ADD_FAILURE() << "archive_write_header " << item.path << ": "
                    << archive_error_string(writer.get());
      return {};
    }
    if (item.type == TarEntry::Type::file && !item.content.empty() &&
        archive_write_data(writer.get(), item.content.data(), item.content.size()) < 0) {
      ADD_FAILURE() << "archive_write_data " << item.path << ": "
                    << archive_error_string(writer.get());
      return {};
    }
  }
  if (archive_write_close(writer.get()) != ARCHIVE_OK) {
    ADD_FAILURE() << "archive_write_close: " << archive_error_string(writer.get());
  }
  return tar;
}

std::map<std::string, std::string> read_archive_files(std::string_view tar) {
  std::map<std::string, std::string> files;
  std::unique_ptr<struct archive, decltype(&archive_read_free)> reader(archive_read_new(),
                                                                       archive_read_free);
  archive_read_support_format_tar(reader.get());
  archive_read_support_format_zip(reader.get());
  archive_read_support_filter_gzip(reader.get());
  if (archive_read_open_memory(reader.get(), tar.data(), tar.size()) != ARCHIVE_OK) {
    ADD_FAILURE() << "not an archive: " << archive_error_string(reader.get());
    return files;
  }
  struct archive_entry* entry = nullptr;
  int status = ARCHIVE_OK;
  while ((status = archive_read_next_header(reader.get(), &entry)) == ARCHIVE_OK) {
    if (archive_entry_filetype(entry) != AE_IFREG) {
      continue;
    }
    std::string content;
    char buffer[16 * 1024];
    la_ssize_t read = 0;
    while ((read = archive_read_data(reader.get(), buffer, sizeof buffer)) > 0) {
      content.append(buffer, static_cast<std::size_t>(read));
    }
    if (read < 0) {
      ADD_FAILURE() << "reading " << archive_entry_pathname(entry)
                    << " from the tar: " << archive_error_string(reader.get());
    }
    files[archive_entry_pathname(entry)] = std::move(content);
  }
  if (status != ARCHIVE_EOF) {
    ADD_FAILURE() << "reading the tar: " << archive_error_string(reader.get());
  }
  return files;
}

} // namespace cicd::test
