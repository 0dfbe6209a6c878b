#pragma once
// The result store backends behind open_result_store().

#include "cicd/results/result_store.hpp"

namespace cicd::results {

// Throws Fatal when the directory cannot be created.
std::unique_ptr<ResultStore> make_file_result_store(const std::filesystem::path& root);

} // namespace cicd::results
