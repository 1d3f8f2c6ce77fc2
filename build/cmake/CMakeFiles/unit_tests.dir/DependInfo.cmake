
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/src/core/seed.cpp" "CMakeFiles/unit_tests.dir/src/core/seed.cpp.o" "gcc" "CMakeFiles/unit_tests.dir/src/core/seed.cpp.o.d"
  "/work/main/test/unit/test_main.cpp" "CMakeFiles/unit_tests.dir/test/unit/test_main.cpp.o" "gcc" "CMakeFiles/unit_tests.dir/test/unit/test_main.cpp.o.d"
  "/work/main/test/unit/test_permutation.cpp" "CMakeFiles/unit_tests.dir/test/unit/test_permutation.cpp.o" "gcc" "CMakeFiles/unit_tests.dir/test/unit/test_permutation.cpp.o.d"
  "/work/main/test/unit/test_prng.cpp" "CMakeFiles/unit_tests.dir/test/unit/test_prng.cpp.o" "gcc" "CMakeFiles/unit_tests.dir/test/unit/test_prng.cpp.o.d"
  "/work/main/test/unit/test_seed.cpp" "CMakeFiles/unit_tests.dir/test/unit/test_seed.cpp.o" "gcc" "CMakeFiles/unit_tests.dir/test/unit/test_seed.cpp.o.d"
  "/work/main/test/unit/test_streaming.cpp" "CMakeFiles/unit_tests.dir/test/unit/test_streaming.cpp.o" "gcc" "CMakeFiles/unit_tests.dir/test/unit/test_streaming.cpp.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
