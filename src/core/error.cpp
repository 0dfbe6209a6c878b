#include "cicd/core/error.hpp"

namespace cicd {

void throw_exception_from_error(const Error& error, const boost::source_location&) {
  throw ErrorException(error);
}

} // namespace cicd
