#pragma once
// master + agent + ui in one process on embedded defaults: SQLite, the in-process queue and
// results on disk, all under --data-dir.

namespace cicd::standalone {

int run_standalone(int argc, const char* const* argv);

} // namespace cicd::standalone
