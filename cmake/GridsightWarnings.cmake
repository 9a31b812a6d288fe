# Warnings for gridsight's own code, applied per target through gridsight_warnings. They are
# errors only where the project chooses its flags (its CMake presets and CI: GRIDSIGHT_WERROR);
# a distribution building with its own flags (-O3, a newer compiler) gets them as warnings, so
# a compiler's false positive cannot fail its build.
option(GRIDSIGHT_WERROR "Treat warnings in gridsight's own code as errors" OFF)
add_library(gridsight_warnings INTERFACE)
target_compile_options(gridsight_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
  -Wunused -Woverloaded-virtual -Wimplicit-fallthrough)
if(GRIDSIGHT_WERROR)
  target_compile_options(gridsight_warnings INTERFACE -Werror -Wno-error=deprecated-declarations)
endif()

if(GRIDSIGHT_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
# Fuzzing: every library is instrumented for libFuzzer's coverage (fuzzer-no-link) with the
# sanitizers on; only the fuzz targets link libFuzzer itself (fuzz/CMakeLists.txt).
if(GRIDSIGHT_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "GRIDSIGHT_FUZZ needs clang (cmake --preset fuzz uses clang-16)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# Helper: every gridsight target names headers from the repository root ("protocol/event.h",
# "edge/outbox/outbox.h", ...). The root is each target's own (PRIVATE) include directory, not
# a usage requirement it passes on; the header-only *_interface targets carry theirs. Which
# headers the API and the domains may include is checked (docs/architecture.md, "Ports and
# layers").
function(gridsight_target target)
  target_link_libraries(${target} PRIVATE gridsight_warnings)
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR})
endfunction()

# Adds a subdirectory when it exists (folders land one by one while the tree grows).
# GRIDSIGHT_SKIP lists folder names to leave out (a partial build while a folder is rebuilt).
set(GRIDSIGHT_SKIP "" CACHE STRING "Folder names to leave out of the build")
function(gridsight_optional_subdirectory dir)
  if(dir IN_LIST GRIDSIGHT_SKIP)
    return()
  endif()
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${dir}/CMakeLists.txt)
    add_subdirectory(${dir})
  endif()
endfunction()
