# embed_files(TARGET NAME FILES...) generates a .cpp defining
#   std::span<const cicd::EmbeddedFile> NAME()
# with every file's name and contents, compiled into TARGET. Used for SQL migrations,
# so the binary carries its schema and needs no files at run time.
function(embed_files target name)
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${name}.cpp")
  # A CMake list cannot cross the command line; "," separates the files instead.
  string(REPLACE ";" "," files_arg "${ARGN}")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND "${CMAKE_COMMAND}" -DOUT=${out} -DNAME=${name} "-DFILES=${files_arg}"
            -P "${PROJECT_SOURCE_DIR}/cmake/GenerateEmbedded.cmake"
    DEPENDS ${ARGN} "${PROJECT_SOURCE_DIR}/cmake/GenerateEmbedded.cmake"
    COMMENT "Embedding ${name}"
    VERBATIM)
  target_sources(${target} PRIVATE "${out}")
endfunction()
