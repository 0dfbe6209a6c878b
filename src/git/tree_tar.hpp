#pragma once
// A git tree as a tar, for Docker (a build context, the /workspace upload). Private to src/git.

#include "cicd/core/error.hpp"
#include "cicd/git/repository.hpp"

#include "libgit2_handles.hpp"

#include <cstdint>
#include <filesystem>

namespace cicd::git {

// Writes `tree` to `tar_file` (created or truncated) as an uncompressed pax tar, entries
// relative to the tree: directories (0755), regular files (0644, or 0755 when git has them
// executable) and symbolic links; submodules are left out. One owner and one `mtime` for every
// entry, so the same tree always gives the same bytes. Blobs are read one at a time; the tar
// goes straight to the file. On failure the file is removed; errors are internal (the disk,
// the repository).
// Returns the content id of what it wrote (see RunCheckout::write_tar).
Result<std::string> write_tree_tar(git_repository* repository, const git_tree* tree,
                                   git_time_t mtime, const std::filesystem::path& tar_file,
                                   const TarLayout& layout = {});

} // namespace cicd::git
