#pragma once
// Tells systemd where a role stands (units with Type=notify): ready once it serves or consumes,
// stopping once it winds down. Does nothing when systemd did not start the process.

namespace cicd::service_manager {

void notify_ready();
void notify_stopping();

} // namespace cicd::service_manager
