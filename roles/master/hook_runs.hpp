#pragma once
// What a verified hook starts: one run per job watching the event's repository through the
// connection, at the event's head commit, at most once per delivery (RELIABILITY.md
// invariant 4).

#include "api.hpp"

#include "cicd/hooks/forge_event.hpp"

#include <string>

namespace cicd::master {

// The answer to a verified delivery: 202 with the runs started, 200 with the same runs when
// the delivery was seen before, 200 {"ignored": reason} when nothing watches the event. Jobs
// that watch it but cannot run for it (a fork not allowed, required parameters without
// defaults, a git revision that does not resolve) are listed under "skipped" with the reason.
http::Response start_hook_runs(const ApiDependencies& deps, std::string_view forge,
                               const std::string& connection, const std::string& delivery,
                               const hooks::ForgeEvent& event);

} // namespace cicd::master
