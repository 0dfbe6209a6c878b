#pragma once
// Fresh PostgreSQL databases for tests, on the private server scripts/test starts
// (scripts/lib/postgres.sh exports CICD_TEST_PG_SOCKET_DIR, CICD_TEST_PG_PORT and
// CICD_TEST_PG_URL).
//
// When the server is not there, a test that needs it FAILS under CI (CI=true) and is skipped
// with a loud message elsewhere (STYLE.md, Tests). Never skipped under CI.

#include <string>

namespace cicd::test {

// Creates an empty database with a name unique to this process and call, and returns its URL
// ("postgresql:///t_<pid>_<n>?host=…&port=…&user=cicd"). When the server is not configured
// or cannot create the database, it records a fatal failure or a skip on the current test and
// returns an empty string: the caller must return at once. Called from SetUp(), that also keeps
// the test body from running.
std::string fresh_postgres_database();

// Drops a database fresh_postgres_database() made, closing any connection still open to it.
// Best effort: the whole cluster is deleted after the run anyway.
void drop_postgres_database(const std::string& url);

} // namespace cicd::test
