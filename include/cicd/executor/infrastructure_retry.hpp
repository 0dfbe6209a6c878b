#pragma once
// A run that ended errored for an infrastructure reason — its agent was lost, Docker or the
// agent's disk failed it — is run again when its job opted in ("retry":
// {"onInfrastructureError": N}), at most N times along the chain of retries. Off by default:
// a deployment may not be safe to repeat. A failed script is never retried.

#include "cicd/model/run.hpp"
#include "cicd/queue/queue.hpp"
#include "cicd/store/store.hpp"

#include <optional>

namespace cicd::executor {

// Creates and publishes the retry of `ended` when its job wants one; returns it, or nullopt
// when none was made (not wanted, the attempts are used up, or the store refused). A failed
// publish leaves the retry queued for the sweeper.
std::optional<model::Run> retry_after_infrastructure_error(store::Store& store, queue::Queue& queue,
                                                           const model::Run& ended,
                                                           std::int64_t now_ms);

} // namespace cicd::executor
