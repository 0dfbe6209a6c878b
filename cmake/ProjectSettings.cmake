# Settings every target of the project links privately: language level and warnings.
# No global flags; -Werror comes from CMAKE_COMPILE_WARNING_AS_ERROR (scripts/test sets it).
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()

add_library(cicd_settings INTERFACE)
target_compile_features(cicd_settings INTERFACE cxx_std_20)
target_compile_definitions(cicd_settings INTERFACE
  BOOST_ASIO_SEPARATE_COMPILATION BOOST_BEAST_SEPARATE_COMPILATION
  BOOST_URL_NO_LIB BOOST_ASIO_NO_DEPRECATED)

add_library(cicd_warnings INTERFACE)
target_compile_options(cicd_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
  -Woverloaded-virtual -Wimplicit-fallthrough)

# CICD_SANITIZE: a -fsanitize= list for the whole build ("address,undefined" or "thread"; the
# presets asan and tsan in CMakePresets.json). Any report aborts the process, so a test fails.
set(CICD_SANITIZE "" CACHE STRING "sanitizers for every target, e.g. address,undefined")
if(CICD_SANITIZE)
  # GCC 12's -Wmaybe-uninitialized misfires inside libstdc++ (<regex>, std::function) once
  # sanitizers instrument it; the plain build keeps the warning.
  target_compile_options(cicd_settings INTERFACE -fsanitize=${CICD_SANITIZE}
    -fno-omit-frame-pointer -fno-sanitize-recover=all -Wno-maybe-uninitialized)
  target_link_options(cicd_settings INTERFACE -fsanitize=${CICD_SANITIZE})
  if(CICD_SANITIZE MATCHES "thread")
    # GCC 12 warns (-Wtsan) that ThreadSanitizer does not model std::atomic_thread_fence, which
    # Asio's reference counts and fenced blocks use. A false report that such a fence would
    # have prevented would name Asio's frames; none has come (test/sanitizers/tsan.supp).
    target_compile_options(cicd_settings INTERFACE -Wno-tsan)
  endif()
endif()
