#pragma once
// Shared by the fuzz targets: a property that must hold for every input. A violation aborts,
// which libFuzzer reports as a crash and saves the input (docs/fuzzing.md).

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)
