file(REMOVE_RECURSE
  "CMakeFiles/unit_tests.dir/src/core/seed.cpp.o"
  "CMakeFiles/unit_tests.dir/src/core/seed.cpp.o.d"
  "CMakeFiles/unit_tests.dir/test/unit/test_main.cpp.o"
  "CMakeFiles/unit_tests.dir/test/unit/test_main.cpp.o.d"
  "CMakeFiles/unit_tests.dir/test/unit/test_permutation.cpp.o"
  "CMakeFiles/unit_tests.dir/test/unit/test_permutation.cpp.o.d"
  "CMakeFiles/unit_tests.dir/test/unit/test_prng.cpp.o"
  "CMakeFiles/unit_tests.dir/test/unit/test_prng.cpp.o.d"
  "CMakeFiles/unit_tests.dir/test/unit/test_seed.cpp.o"
  "CMakeFiles/unit_tests.dir/test/unit/test_seed.cpp.o.d"
  "CMakeFiles/unit_tests.dir/test/unit/test_streaming.cpp.o"
  "CMakeFiles/unit_tests.dir/test/unit/test_streaming.cpp.o.d"
  "unit_tests"
  "unit_tests.pdb"
  "unit_tests_tests-b12d07c.cmake"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/unit_tests.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
