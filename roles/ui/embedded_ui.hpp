#pragma once
// The ui's templates (roles/ui/templates/*.mustache) and static files (roles/ui/static/),
// compiled into the binary (cmake/EmbedFiles.cmake).

#include "cicd/core/embedded_file.hpp"

namespace cicd {

std::span<const EmbeddedFile> ui_templates();
std::span<const EmbeddedFile> ui_static_files();

} // namespace cicd
